//! Synthetic demand texts for the benches that need a large station (clusters, the inbox, the
//! registers): a building number and two problems from a fixed list, seeded, so every run and
//! every bench compares the same words.

use crate::clock::SeededIds;

/// Problems residents name, in their words.
pub const PHRASES: &[&str] = &[
    "电梯经常停运",
    "老人上下楼困难",
    "停车位严重不足",
    "消防通道被占",
    "垃圾清运不及时",
    "暖气不热",
    "楼顶漏水",
    "楼道堆放杂物",
    "监控摄像头坏了",
    "井盖松动",
    "卫生站排队太久",
    "缺少老年食堂",
    "学校门口拥堵",
    "公交站没有遮雨棚",
    "路口没有红绿灯",
    "快递丢件",
    "物业服务差",
    "装修噪音大",
    "绿化带杂草丛生",
    "河道发臭",
];

/// A number below `k` from the stream.
pub fn pick(rng: &mut SeededIds, k: usize) -> usize {
    (rng.next_u64() % k.max(1) as u64) as usize
}

/// One demand's text: `12号楼电梯经常停运，暖气不热，希望尽快解决`.
pub fn demand_text(rng: &mut SeededIds) -> String {
    let building = pick(rng, 30) + 1;
    let a = PHRASES[pick(rng, PHRASES.len())];
    let b = PHRASES[pick(rng, PHRASES.len())];
    format!("{building}号楼{a}，{b}，希望尽快解决")
}
