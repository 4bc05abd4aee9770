/**
 * The matters catalogue (执法音像记录事项清单), shaped like 004 annex 3: each row says which enforcement step is
 * recorded, where, by whom, from when to when, and how long the footage is kept. `keepWithCase`: the storage time
 * is "as the written records" (与文字材料存储时间一致), so footage linked to a case of this matter is held with the
 * case file (a `case` hold) instead of following the retention period.
 */
export interface Matter {
  id: string;
  /** 执法类别 */
  category: string;
  /** 执法事项 */
  matter: string;
  /** 记录环节 */
  stage: string;
  /** 执法场所 */
  place: string;
  /** 记录人 */
  recorder: string;
  /** 记录开始时间 */
  start: string;
  /** 记录内容 */
  content: string;
  /** 记录结束时间 */
  end: string;
  /** 记录存储时间 */
  storage: string;
  /** 执法记录类别 */
  recordClass: string;
  /** 备注 */
  note: string;
  keepWithCase: boolean;
}

/** The annex's storage time that keeps footage with the case file. */
const AS_WRITTEN_RECORDS = '与文字材料存储时间一致';

/** 004 annex 3 (舞钢市环境保护局执法音像记录事项清单), its two rows as published: the default catalogue. */
export const ANNEX3_MATTERS: Matter[] = [
  {
    id: '1',
    category: '行政检查',
    matter: '调查取证',
    stage: '调查笔录',
    place: '调查现场',
    recorder: '检查人员',
    start: '进入检查现场时',
    content: '记录当事人或在场有关人员不配合调查笔录审核及签字的过程及结果',
    end: '离开检查现场时',
    storage: AS_WRITTEN_RECORDS,
    recordClass: '场景类',
    note: '',
    keepWithCase: true,
  },
  {
    id: '2',
    category: '行政处罚',
    matter: '听证',
    stage: '调查取证',
    place: '听证会场',
    recorder: '听证记录员',
    start: '举行听证会开始',
    content: '听证全过程',
    end: '听证会议结束',
    storage: AS_WRITTEN_RECORDS,
    recordClass: '会议类',
    note: '',
    keepWithCase: true,
  },
];
