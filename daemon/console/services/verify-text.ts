/**
 * `VERIFY.txt` of an export: how a recipient checks the copy alone with openssl (1.1.1 or newer), in Chinese and
 * English. The commands are the contract's: the manifest's raw ed25519 signature, then the file's SHA-256
 * against the manifest's entry.
 */
export function verifyText(a: { name: string; sessionId: string; sha256: string; evidenceNo: string }): string {
  const m = `${a.sessionId}.json`;
  return [
    `执法音像记录副本核验说明 / How to verify this copy`,
    `证据编号 Evidence number: ${a.evidenceNo}`,
    `文件 File: ${a.name}`,
    `SHA-256: ${a.sha256}`,
    ``,
    `本副本未经重新编码或加水印，与执法记录仪导出的原始文件逐字节一致。`,
    `The file is the recorder's original, byte for byte: never re-encoded, never watermarked.`,
    ``,
    `1. 核验签名清单（应显示 "Signature Verified Successfully"）`,
    `   Check that the dock signed the manifest (expect "Signature Verified Successfully"):`,
    ``,
    `   openssl pkeyutl -verify -pubin -inkey dock.pub.pem -rawin -in ${m} -sigfile ${m}.sig`,
    ``,
    `2. 核验文件哈希，应与清单中该文件的 "sha256" 一致：`,
    `   Check that the file is the one the manifest lists (its "sha256" entry for ${a.name}):`,
    ``,
    `   openssl dgst -sha256 ${a.name}`,
    `   grep -o '"sha256": *"${a.sha256}"' ${m}`,
    ``,
    `   expected / 应为: SHA2-256(${a.name})= ${a.sha256}`,
    ``,
    `3. 核对公钥指纹与本单位公布的执法记录仪工作站公钥一致：`,
    `   Compare the key's fingerprint with the one the agency publishes for this dock:`,
    ``,
    `   openssl pkey -pubin -in dock.pub.pem -outform DER | openssl dgst -sha256`,
    ``,
    `EXPORT.json 记录了复制人、时间及所依据的查阅申请。/ EXPORT.json says who took this copy, when, and on which request.`,
    ``,
  ].join('\n');
}
