//! Name lists for the synthetic territory. Plausible local names; the geometry they label is invented.

/// Community stems (the `社区` suffix is added by the generator), in code order.
pub const COMMUNITIES: [&str; 29] = [
    "东菜园",
    "西门",
    "果园",
    "季庄",
    "新南",
    "沿湖",
    "宾阳",
    "鼓楼南区",
    "长安",
    "康居",
    "檀州家园",
    "白檀",
    "南菜园",
    "北菜园",
    "花园",
    "新西路",
    "新东路",
    "云湖",
    "潮白",
    "滨河",
    "明珠",
    "阳光",
    "兴云",
    "绿荫",
    "青年路",
    "水源路",
    "御园",
    "古城",
    "鼓楼东",
];

/// Suffixes for residential quarters (居民小区).
pub const QUARTER_SUFFIXES: [&str; 4] = ["北区", "南区", "东里", "西里"];

/// Chinese ordinals for grid names.
pub const ORDINALS: [&str; 4] = ["一", "二", "三", "四"];

/// Thirty delegates' names.
pub const DELEGATES: [&str; 30] = [
    "王建国",
    "李秀英",
    "张伟",
    "刘芳",
    "陈静",
    "杨军",
    "赵丽华",
    "黄志强",
    "周敏",
    "吴海燕",
    "徐明",
    "孙桂兰",
    "马建华",
    "朱红梅",
    "胡国庆",
    "郭淑珍",
    "何永刚",
    "高玉兰",
    "林晓东",
    "罗春梅",
    "郑宏伟",
    "梁雪",
    "谢志刚",
    "宋晓燕",
    "唐立新",
    "许丽娟",
    "韩卫东",
    "冯秀梅",
    "邓建军",
    "曹慧",
];

/// Office staff of the delegate office (代表工作室).
pub const STAFF: [&str; 3] = ["office-01", "office-02", "office-03"];

/// The handling-unit catalogue: (code, name, level).
pub const HANDLING_UNITS: [(&str, &str, crate::territory::HandlingLevel); 22] = {
    use crate::territory::HandlingLevel::{City, Community, District, Street};
    [
        ("U-C01", "社区居委会", Community),
        ("U-C02", "社区接诉即办工作室", Community),
        ("U-S01", "街道党政综合办公室", Street),
        ("U-S02", "街道城市管理办公室", Street),
        ("U-S03", "街道社区建设办公室", Street),
        ("U-S04", "街道民生保障办公室", Street),
        ("U-S05", "街道平安建设办公室", Street),
        ("U-S06", "街道综合行政执法队", Street),
        ("U-S07", "街道市民诉求处置中心", Street),
        ("U-S08", "街道社区服务中心", Street),
        ("U-D01", "区人大常委会城建环保办公室", District),
        ("U-D02", "区人大常委会社会建设办公室", District),
        ("U-D03", "区人大常委会教科文卫办公室", District),
        ("U-D04", "区住房和城乡建设委员会", District),
        ("U-D05", "区城市管理委员会", District),
        ("U-D06", "区交通局", District),
        ("U-D07", "区教育委员会", District),
        ("U-D08", "区卫生健康委员会", District),
        ("U-D09", "区民政局", District),
        ("U-D10", "区市场监督管理局", District),
        ("U-M01", "市人大常委会代表联络室", City),
        ("U-M02", "市人大常委会城建环保办公室", City),
    ]
};
