import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import { zhTime, type CustodyReport } from './custody.js';

/** The events' names in Chinese, as the report prints them (the JSON keeps the English keys). */
const EVENT_LABELS: Record<string, string> = {
  recorded: '摄录',
  stored: '入库存储',
  signed: '签名清单',
  flagged: '标记',
  catalogued: '著录',
  linked: '关联案件',
  confidential: '定密',
  unmarked: '解除定密',
  held: '保全',
  released: '解除保全',
  archived: '刻录光盘',
  requested: '查阅申请',
  approved: '批准',
  denied: '不予批准',
  view: '查阅播放',
  thumbnail: '查看截图',
  copy: '复制',
  export: '导出副本',
  archive: '下载光盘镜像',
  kept: '延长保存',
  purge_decided: '决定清除',
  purged: '清除',
  refused: '拒绝访问',
};

const FLAG_LABELS: Record<string, string> = {
  important: '重要（执法人员标记）',
  gap: '记录中断',
  seq_missing: '文件缺号',
  drift: '记录仪时钟偏差',
  clock_reset: '记录仪时钟重置',
  late_offload: '逾期存储',
  hash_mismatch: '哈希不一致',
  size_mismatch: '大小不一致',
  unreadable: '无法读取',
  bad_name: '文件名无法识别',
  interrupted: '入库中断',
  wrong_officer: '执法人员不符',
  no_checkout: '无领用记录',
};

const CLASS_LABELS: Record<string, string> = { state_secret: '国家秘密', commercial_secret: '商业秘密', privacy: '个人隐私' };

/** Thrown when the configured CJK font is missing: the console answers 500 and logs the key to fix. */
class ReportFontMissing extends Error {
  constructor(readonly path: string) {
    super(`reports.cjkFont: no font at ${path} (install Debian fonts-wqy-microhei or set reports.cjkFont)`);
    this.name = 'ReportFontMissing';
  }
}

/**
 * The custody report as a printable A4 PDF with Chinese text (pdfkit with a CJK font, `reports.cjkFont`): the
 * recording's facts, then every event oldest first, page numbers and the time it was made, the kind of record a
 * court asks for. From a TrueType collection (.ttc) the face named `fontName` (its PostScript name) is used.
 */
export function custodyPdf(r: CustodyReport, fontPath: string, fontName = 'WenQuanYiMicroHei'): Promise<Buffer> {
  if (!existsSync(fontPath)) return Promise.reject(new ReportFontMissing(fontPath));
  const doc = new PDFDocument({ size: 'A4', margins: { top: 56, bottom: 56, left: 56, right: 56 }, bufferPages: true, info: { Title: `执法音像记录保管链报告 ${r.recording.evidenceNo ?? r.recording.id}`, Author: r.dockId } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  if (fontPath.endsWith('.ttc')) doc.registerFont('cjk', fontPath, fontName);
  else doc.registerFont('cjk', fontPath);
  doc.font('cjk');

  const w = doc.page.width - 112;
  doc.fontSize(18).text('执法音像记录保管链报告', { align: 'center' });
  doc.fontSize(10).fillColor('#555').text('Chain of custody of a body-worn camera recording', { align: 'center' }).moveDown(1);
  doc.fillColor('#000');

  const rec = r.recording;
  const facts: Array<[string, string]> = [
    ['证据编号', rec.evidenceNo ?? '—'],
    ['文件名', rec.name],
    ['执法记录仪', `${rec.serial}（序号 ${rec.seq}）`],
    ['执法人员', `${rec.officerName ? `${rec.officerName} ` : ''}${rec.officerNo ?? '—'}${rec.unitName || rec.unitNo ? `（${rec.unitName ?? rec.unitNo}）` : ''}`],
    ['摄录开始', zhTime(rec.correctedStart ?? rec.recordedStart) || '—'],
    ['时长', `${Math.round(rec.durationMs / 1000)} 秒`],
    ['大小', `${rec.size} 字节`],
    ['SHA-256', rec.sha256],
    ['签名清单', rec.manifestSessionId ?? '尚未签名'],
    ['保存期限至', zhTime(rec.retainUntil)],
    ['标记', rec.flags.length ? rec.flags.map((f) => FLAG_LABELS[f] ?? f).join('、') : '无'],
    ['密级', rec.confidential ? (CLASS_LABELS[rec.confidential] ?? rec.confidential) : '非涉密'],
    ['状态', rec.purged ? '已清除（保留墓碑记录）' : '在库'],
  ];
  doc.fontSize(10);
  for (const [k, v] of facts) {
    const y = doc.y;
    doc.text(k, 56, y, { width: 90 });
    doc.text(v, 150, y, { width: w - 94 });
    doc.moveDown(0.25);
  }
  const zone = /([+-]\d\d:\d\d|Z)$/.exec(r.generatedAt)?.[1] ?? '';
  doc.moveDown(0.8).fontSize(13).text(`保管链事件（共 ${r.events.length} 项，按时间先后）`, 56);
  doc.fontSize(9).fillColor('#555').text(`时间均为工作站时间（UTC${zone === 'Z' ? '' : zone}）。`).fillColor('#000').moveDown(0.4);

  const col = { at: 56, event: 196, actor: 266, text: 336 };
  const header = () => {
    doc.fontSize(9).fillColor('#555');
    const y = doc.y;
    doc.text('时间', col.at, y).text('事件', col.event, y).text('人员', col.actor, y).text('说明', col.text, y);
    doc.fillColor('#000').moveTo(56, doc.y + 2).lineTo(56 + w, doc.y + 2).strokeColor('#999').stroke().moveDown(0.4);
  };
  header();
  for (const e of r.events) {
    const textWidth = 56 + w - col.text;
    const at = zhTime(e.at);
    const h = Math.max(doc.fontSize(9).heightOfString(e.textZh, { width: textWidth }), doc.heightOfString(at, { width: 136 }));
    if (doc.y + h > doc.page.height - 70) {
      doc.addPage();
      header();
    }
    const y = doc.y;
    doc.fontSize(9);
    doc.text(at, col.at, y, { width: 136 });
    doc.text(EVENT_LABELS[e.event] ?? e.event, col.event, y, { width: 66 });
    doc.text(e.actor ?? '—', col.actor, y, { width: 66 });
    doc.text(e.textZh, col.text, y, { width: textWidth });
    doc.y = y + h + 4;
  }
  doc.moveDown(1).fontSize(9).fillColor('#555').text(`本报告由执法记录仪工作站 ${r.dockId} 根据其账本自动生成；生成时间 ${zhTime(r.generatedAt)}，生成人 ${r.generatedBy}。`, 56, doc.y, { width: w });
  doc.text('清单签名可用工作站公钥以 openssl 独立核验（见导出副本中的 VERIFY.txt）。', { width: w });

  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.fontSize(8).fillColor('#777').text(`第 ${i + 1} 页 / 共 ${range.count} 页    证据编号 ${rec.evidenceNo ?? rec.id}`, 56, doc.page.height - 40, { width: w, align: 'center' });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}
