// Writes daemon/ledger/common-passwords.txt: the passwords the console refuses as too common (compared in
// lowercase). The seeds are the most frequent passwords of the public breach lists (the well-known "top"
// lists: RockYou, the yearly top-25/top-200 lists, the top of the Chinese CSDN/163/Tianya leaks), keyboard
// walks, and the digit and pinyin patterns common in China; the script adds the usual decorations (years,
// 123, !, @123, doubled words) so that the 12-character versions people type to pass a length rule are listed.
// Run: node scripts/common-passwords.mjs
import { writeFileSync } from 'node:fs';

const top = `123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123 baseball abc123 football
monkey letmein shadow master 666666 qwertyuiop 123321 mustang 1234567890 michael 654321 superman 1qaz2wsx 7777777
121212 000000 qazwsx 123qwe killer trustno1 jordan jennifer zxcvbnm asdfgh hunter buster soccer harley batman andrew
tigger sunshine iloveyou 2000 charlie robert thomas hockey ranger daniel starwars klaster 112233 george computer
michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom 777777 pass maggie 159753 aaaaaa ginger princess
joshua cheese amanda summer love ashley nicole chelsea biteme matthew access yankees 987654321 dallas austin thunder
taylor matrix mobilemail mom monitor monitoring montana moon moscow welcome welcome1 password1 password123 admin
admin123 administrator root toor qwerty123 qwe123 1q2w3e4r 1q2w3e 1q2w3e4r5t zaq12wsx q1w2e3r4 passw0rd p@ssw0rd
p@ssword pa55word changeme secret default guest login hello hello123 test test123 testing user demo sample
football1 baseball1 superman1 iloveyou1 princess1 monkey1 dragon1 shadow1 master1 sunshine1 michael1 charlie1
123abc abcd1234 abcdef abcdefg abcdefgh 1234abcd a1b2c3 a1b2c3d4 aa123456 a123456 123456a 123456aa qq123456
woaini 5201314 1314520 520520 521521 woaini1314 woaini520 woaini521 iloveu 147258369 147258 159357 789456123 741852963
963852741 123654 147852 258369 369258 456789 789456 951753 753951 112233445566 0123456789 987654 876543 1122334455
zhang123 wang123 li123456 liu123 chen123 yang123 huang123 zhao123 zhou123 wu123456 xu123456 sun123 ma123456
zhangwei wangwei lijun wangfang liuyang zhangjie woaiwojia woaimama woaibaba aini1314 iloveyou1314 nihao nihao123
zhongguo china china123 beijing shanghai guangzhou shenzhen tiananmen laopo laogong baobei baobei520 xiaoming
qq5201314 1314woaini 52013145201314 w123456 z123456 q123456 qwe123456 asd123456 zxc123456 abc123456 123456abc
123456qwe qweasdzxc qweasd asdasd asdf1234 asdfasdf qazwsxedc 1qazxsw2 2wsx3edc zxcvbnm123 1234qwer qwer1234 qwerasdf
jiayou fendou xingfu kuaile pingan shengri mima mima123 mimamima wodemima woshishui diannao wangluo jingcha police
police123 gongan gongan110 jingcha110 110110 120120 119119 888888 88888888 168168 518518 666888 888666 686868
zaq1xsw2 1qaz2wsx3edc 1q2w3e4r5t6y qazwsxedcrfv !qaz2wsx !qaz@wsx 1qaz@wsx qwertyui asdfghjk asdfghjkl zxcvbnm,
qwertyuiop[] asdfghjkl; 1234567890- poiuytrewq lkjhgfdsa mnbvcxz 0987654321 09876543 qwertz qwertzuiop azerty
michael jordan23 lakers kobe24 chelsea1 arsenal liverpool manchester barcelona realmadrid juventus
batman123 spiderman ironman pokemon naruto minecraft fortnite roblox starwars1 harrypotter hogwarts
letmein1 letmein123 trustno1 whatever fuckyou fuckoff iloveyou2 loveme lovely loveyou mylove forever
blink182 myspace1 linkedin facebook google yahoo hotmail gmail outlook apple samsung huawei xiaomi
sunshine jesus jesus1 christ god blessed angel angels flower flowers rainbow butterfly purple orange banana
cookie chocolate pepper ginger buster tigger coffee pizza hammer cheese killer dragon master shadow
security dockadmin bodycam camera recorder evidence footage supervisor officer manager legal auditor
`;

const decorations = ['', '1', '12', '123', '1234', '12345', '123456', '!', '@123', '123!', '1234!', '2024', '2025', '2026', '1314', '520', '888', '666'];
const prefixes = ['123', '520', '1314'];

const out = new Set();
const add = (s) => {
  const x = s.trim().toLowerCase();
  if (x) out.add(x);
};
const words = top.split(/\s+/).filter(Boolean);
for (const w of words) {
  for (const d of decorations) {
    add(w + d);
  }
  for (const d of prefixes) add(d + w);
  add(w + w);
  add(w + w + '1');
  add(w + '@' + w);
  add(w.replace(/a/g, '@').replace(/o/g, '0').replace(/e/g, '3').replace(/i/g, '1').replace(/s/g, '$'));
  add(w.replace(/a/g, '@').replace(/o/g, '0') + '123');
  add(w.replace(/a/g, '@').replace(/o/g, '0') + '123!');
}
// Runs of digits: every length from 6 to 20 of ascending, descending, repeated and doubled sequences.
const asc = '12345678901234567890123456789';
const desc = '98765432109876543210987654321';
for (let len = 6; len <= 20; len++) {
  add(asc.slice(0, len));
  add(asc.slice(1, len + 1));
  add(desc.slice(0, len));
  add(desc.slice(1, len + 1));
  for (let d = 0; d <= 9; d++) add(String(d).repeat(len));
  for (const unit of ['12', '123', '1234', '12345', '123456', '520', '1314', '5201314', '168', '88', '66', '01', '110', 'abc', 'ab', 'qwe', 'asd', 'zxc', 'qwerty', 'aa', 'a1', '1q', 'qaz', 'wsx']) {
    add(unit.repeat(Math.ceil(len / unit.length)).slice(0, len));
  }
}
// Keyboard walks along the rows and columns, with and without the shifted row.
const rows = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', '!@#$%^&*()'];
for (const r of rows) for (let len = 6; len <= r.length; len++) for (let i = 0; i + len <= r.length; i++) add(r.slice(i, i + len));
const cols = ['1qaz', '2wsx', '3edc', '4rfv', '5tgb', '6yhn', '7ujm', '8ik,', '9ol.', '0p;/'];
for (let n = 2; n <= cols.length; n++) for (let i = 0; i + n <= cols.length; i++) {
  const walk = cols.slice(i, i + n).join('');
  add(walk);
  add(walk + '!');
  add(cols.slice(i, i + n).map((c) => c.split('').reverse().join('')).join(''));
}
for (const a of ['1q2w3e4r5t6y7u8i9o0p', '1a2s3d4f5g6h7j8k9l', 'q1w2e3r4t5y6u7i8o9p0', 'qaz123wsx456', 'zaq12wsxcde3', 'zaq1zaq1zaq1', 'qwe123qwe123']) {
  for (let len = 6; len <= a.length; len++) add(a.slice(0, len));
}
// Dates people use: a birthday as yyyymmdd followed by a name-free suffix is beyond a list; a few whole years as text are not.
for (let y = 1950; y <= 2030; y++) {
  add(`${y}${y}`);
  add(`${y}0101${y}`.slice(0, 12));
  add(`woaini${y}`);
  add(`password${y}`);
  add(`qwerty${y}`);
  add(`iloveyou${y}`);
  add(`${y}woaini`);
}

const header = [
  '# Common passwords the console refuses (lowercase, one a line). Generated by scripts/common-passwords.mjs',
  '# from the tops of well-known public breach lists, keyboard walks and common Chinese patterns.',
];
writeFileSync(new URL('../daemon/ledger/common-passwords.txt', import.meta.url), header.concat([...out].sort()).join('\n') + '\n');
console.log(`${out.size} passwords`);
