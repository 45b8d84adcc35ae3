//! Chinese names and mobile numbers that look like a real clinic's register.

use std::collections::HashSet;

use clinicdesk_domain::model::Sex;
use rand::Rng as _;

use crate::rng::{pick, weighted, Rng};

/// Surnames with their approximate share (per 10,000) of the population; the common ones
/// (王, 李, 张, 刘, 陈 …) come up as often as in a real register.
const SURNAMES: &[(&str, u32)] = &[
    ("王", 710),
    ("李", 700),
    ("张", 670),
    ("刘", 540),
    ("陈", 450),
    ("杨", 310),
    ("黄", 220),
    ("赵", 200),
    ("吴", 200),
    ("周", 190),
    ("徐", 130),
    ("孙", 120),
    ("马", 120),
    ("朱", 110),
    ("胡", 100),
    ("郭", 100),
    ("何", 90),
    ("林", 90),
    ("高", 90),
    ("罗", 80),
    ("郑", 80),
    ("梁", 80),
    ("谢", 60),
    ("宋", 60),
    ("唐", 60),
    ("许", 50),
    ("韩", 50),
    ("邓", 50),
    ("冯", 50),
    ("曹", 50),
    ("彭", 50),
    ("曾", 50),
    ("肖", 50),
    ("田", 40),
    ("董", 40),
    ("潘", 40),
    ("袁", 40),
    ("蔡", 40),
    ("蒋", 40),
    ("余", 40),
    ("于", 40),
    ("杜", 40),
    ("叶", 40),
    ("程", 40),
    ("魏", 30),
    ("苏", 30),
    ("吕", 30),
    ("丁", 30),
    ("任", 30),
    ("卢", 30),
    ("姚", 30),
    ("沈", 30),
    ("钟", 30),
    ("姜", 30),
    ("崔", 30),
    ("谭", 30),
    ("陆", 30),
    ("范", 30),
    ("汪", 30),
    ("廖", 30),
    ("石", 30),
    ("金", 30),
    ("韦", 20),
    ("贾", 20),
    ("夏", 20),
    ("付", 20),
    ("方", 20),
    ("邹", 20),
    ("熊", 20),
    ("白", 20),
    ("孟", 20),
    ("秦", 20),
    ("邱", 20),
    ("侯", 20),
    ("江", 20),
    ("尹", 20),
    ("薛", 20),
    ("闫", 20),
    ("段", 20),
    ("雷", 20),
    ("龙", 20),
    ("黎", 20),
    ("史", 20),
    ("陶", 20),
    ("贺", 20),
    ("毛", 20),
    ("郝", 20),
    ("顾", 20),
    ("龚", 20),
    ("邵", 20),
    ("万", 10),
    ("覃", 10),
    ("武", 10),
    ("钱", 10),
    ("戴", 10),
    ("严", 10),
    ("莫", 10),
    ("孔", 10),
    ("向", 10),
    ("常", 10),
    ("汤", 10),
    ("欧阳", 5),
    ("上官", 2),
    ("司马", 2),
];

// Given names of adults (born before about 2005).
const MALE_ONE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "波", "峰", "健", "亮", "宁", "林",
    "兵", "旭", "浩", "凯", "鑫", "龙", "阳", "东", "毅", "彬",
];
const MALE_FIRST: &[&str] = &[
    "建", "志", "国", "晓", "海", "文", "俊", "永", "宏", "立", "德", "家", "振", "明", "天", "浩", "宇", "博", "嘉", "少", "伟", "一",
    "子", "成", "春", "金", "新", "云",
];
const MALE_SECOND: &[&str] = &[
    "华", "明", "军", "强", "平", "伟", "峰", "林", "杰", "涛", "斌", "勇", "鹏", "辉", "东", "宁", "刚", "龙", "飞", "波", "然", "阳",
    "豪", "文", "成", "新", "民", "生", "荣", "磊", "超", "亮",
];
const FEMALE_ONE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "琳", "玲", "颖", "倩", "慧", "丹", "莉", "萍", "红", "燕", "洁", "晶",
    "璐", "瑶",
];
const FEMALE_FIRST: &[&str] = &[
    "晓", "丽", "春", "美", "秀", "玉", "桂", "淑", "雅", "思", "佳", "欣", "雨", "梦", "静", "婉", "慧", "诗", "嘉", "若", "海", "彩",
    "文", "冬", "小",
];
const FEMALE_SECOND: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "琳", "玲", "颖", "倩", "慧", "丹", "莉", "萍", "红", "燕", "洁", "怡",
    "琪", "菲", "妍", "英", "兰", "梅", "华", "云",
];

// Given names of children (born after about 2005).
const BOY: &[&str] = &[
    "子轩", "浩宇", "宇轩", "梓豪", "俊熙", "一鸣", "浩然", "子墨", "宇航", "皓轩", "睿", "辰逸", "奕辰", "铭泽", "泽宇", "思远", "博文",
    "明哲", "嘉懿", "天佑", "若凡", "锦程", "煜城", "子骞", "乐天", "沐阳", "瑞霖", "安", "哲", "诚", "俊杰", "一航", "梓睿", "宸", "钰",
    "浩轩", "子涵", "景行", "修远", "晨阳",
];
const GIRL: &[&str] = &[
    "梓涵", "欣怡", "雨桐", "一诺", "诗涵", "可馨", "思彤", "梓萱", "语嫣", "子涵", "若曦", "欣妍", "雨萱", "佳怡", "紫萱", "悦", "依诺",
    "书瑶", "芷若", "梦琪", "诗琪", "晨曦", "安然", "可欣", "语桐", "婉清", "沐晴", "静怡", "佳琪", "雅琪", "妍", "米乐", "心怡", "子琪",
    "星辰", "雨涵",
];

pub(crate) fn surname(rng: &mut Rng) -> &'static str {
    weighted(rng, SURNAMES)
}

/// A given name fitting the person's sex and generation: one or two characters.
pub(crate) fn given_name(rng: &mut Rng, sex: Sex, birth_year: i32) -> String {
    if birth_year >= 2005 {
        let pool = if sex == Sex::Male { BOY } else { GIRL };
        return pick(rng, pool).to_string();
    }
    let single = rng.gen_bool(if birth_year < 1975 { 0.35 } else { 0.2 });
    match (sex, single) {
        (Sex::Male, true) => pick(rng, MALE_ONE).to_string(),
        (Sex::Male, false) => format!("{}{}", pick(rng, MALE_FIRST), pick(rng, MALE_SECOND)),
        (Sex::Female, true) => pick(rng, FEMALE_ONE).to_string(),
        (Sex::Female, false) => format!("{}{}", pick(rng, FEMALE_FIRST), pick(rng, FEMALE_SECOND)),
    }
}

pub(crate) fn full_name(rng: &mut Rng, sex: Sex, birth_year: i32) -> String {
    let family = surname(rng);
    format!("{family}{}", given_name(rng, sex, birth_year))
}

/// Mobile prefixes in use (13x, 15x, 18x).
const PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157", "158", "159", "180",
    "181", "182", "183", "185", "186", "187", "188", "189",
];

/// An 11-digit mobile number not handed out before in this chain.
pub(crate) fn phone(rng: &mut Rng, used: &mut HashSet<String>) -> String {
    loop {
        let p = format!("{}{:08}", pick(rng, PREFIXES), rng.gen_range(0..100_000_000u32));
        if used.insert(p.clone()) {
            return p;
        }
    }
}
