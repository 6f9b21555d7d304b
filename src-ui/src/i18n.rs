//! Every string people read, in Simplified Chinese (the default) and English. One table, looked
//! up by key; `{}` in a string is filled by [`I18n::fmt1`] / [`I18n::fmt2`]. A test
//! (`tests/tests/ui_strings.rs`, which reads this file and the pages as text, since the UI only
//! builds for wasm) checks that every key the pages use is here, once, in both languages.

use leptos::prelude::*;

use crate::local;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language chosen last time on this device (Chinese when none).
    pub fn load() -> Lang {
        match local::get_string(local::keys::LANG).as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    pub fn store(self) {
        local::set_string(
            local::keys::LANG,
            if self == Lang::En { "en" } else { "zh" },
        );
    }
}

/// The language signal, shared through the context.
#[derive(Debug, Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    /// The string for `key` in the current language (tracked: re-renders on a switch).
    pub fn t(&self, key: &'static str) -> &'static str {
        tr(self.lang.get(), key)
    }

    pub fn fmt1(&self, key: &'static str, a: impl std::fmt::Display) -> String {
        self.t(key).replacen("{}", &a.to_string(), 1)
    }

    pub fn fmt2(
        &self,
        key: &'static str,
        a: impl std::fmt::Display,
        b: impl std::fmt::Display,
    ) -> String {
        self.fmt1(key, a).replacen("{}", &b.to_string(), 1)
    }
}

/// Looks a key up; an unknown key shows itself (and fails `ui_strings`).
pub fn tr(lang: Lang, key: &'static str) -> &'static str {
    STRINGS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, zh, en)| match lang {
            Lang::Zh => zh,
            Lang::En => en,
        })
}

/// (key, 中文, English)
pub const STRINGS: &[(&str, &str, &str)] = &[
    ("app.title", "网格民声", "Gridvoice"),
    ("app.not_found", "没有这个页面", "No such page"),
    ("lang.switch", "English", "中文"),
    ("loading", "正在读取…", "Loading…"),
    ("saving", "正在保存…", "Saving…"),
    ("nav.home", "首页", "Home"),
    ("nav.record", "记诉求", "Record"),
    ("nav.visit", "走访", "Visit"),
    ("nav.demands", "我的诉求", "My demands"),
    ("nav.sync", "同步", "Sync"),
    ("nav.tasks", "任务", "Tasks"),
    (
        "form.fix_fields",
        "还不能保存：请按红字提示修改",
        "Not saved yet: please fix the fields marked in red",
    ),
    ("form.required", "此项必填", "Required"),
    (
        "form.too_long",
        "内容过长，最多 200 字",
        "Too long: 200 characters at most",
    ),
    // home
    ("home.title", "我的工作", "My work"),
    (
        "home.not_enrolled",
        "这台设备还没有绑定代表。请用代表工作室发的绑定码绑定。",
        "This device is not bound to a delegate yet. Enrol it with the code from the delegate office.",
    ),
    ("home.enrol", "绑定设备", "Enrol this device"),
    ("home.delegate", "代表", "Delegate"),
    ("home.station", "代表工作站", "Station"),
    ("home.grids", "我的网格", "My grids"),
    ("home.network", "网络", "Network"),
    ("home.online", "在线", "Online"),
    ("home.offline", "离线", "Offline"),
    ("home.pending", "未同步", "Not yet synced"),
    ("home.last_sync", "上次同步成功", "Last successful sync"),
    ("home.never", "从未同步", "never"),
    ("home.record", "记诉求", "Record a demand"),
    ("home.visit_now", "正在走访：", "Visit under way:"),
    ("home.visit_end", "查看或结束走访", "See or end the visit"),
    ("home.visit", "开始走访", "Start a visit"),
    // enrol
    ("enrol.title", "绑定设备", "Enrol this device"),
    (
        "enrol.hint",
        "填写服务器地址和代表工作室发给您的一次性绑定码。",
        "Enter the server address and the one-time code the delegate office gave you.",
    ),
    ("enrol.server", "服务器地址", "Server address"),
    ("enrol.code", "绑定码", "Enrolment code"),
    (
        "enrol.device_name",
        "设备名称（可不填）",
        "Device name (optional)",
    ),
    ("enrol.submit", "绑定", "Enrol"),
    ("enrol.busy", "正在绑定…", "Enrolling…"),
    ("enrol.ok", "已绑定：", "Enrolled:"),
    (
        "enrol.err.server",
        "请填写以 http:// 或 https:// 开头的服务器地址",
        "Enter a server address starting with http:// or https://",
    ),
    ("enrol.err.code", "请填写绑定码", "Enter the enrolment code"),
    // record
    ("record.title", "记诉求", "Record a demand"),
    ("record.in_visit", "本次走访：", "In visit:"),
    ("record.text", "居民诉求", "What the resident asks"),
    (
        "record.text_ph",
        "例如：3号楼电梯经常停运，老人上下楼困难",
        "e.g. The lift in building 3 keeps stopping",
    ),
    ("record.category", "类别", "Category"),
    ("cat.seven", "七有", "Seven haves"),
    ("cat.five", "五性", "Five qualities"),
    ("cat.topics", "常见议题", "Topics"),
    ("record.where", "位置与网格", "Place and grid"),
    ("record.locating", "正在定位…", "Finding your position…"),
    (
        "record.nofix.unsupported",
        "这台设备不能定位。",
        "This device cannot find its position.",
    ),
    (
        "record.nofix.denied",
        "没有定位权限。",
        "Location permission was refused.",
    ),
    (
        "record.nofix.timeout",
        "定位超时。",
        "Finding the position timed out.",
    ),
    (
        "record.nofix.failed",
        "定位失败。",
        "The position could not be found.",
    ),
    (
        "record.pick_hint",
        "请在下面的地图上点选网格。",
        "Pick the grid on the map below.",
    ),
    ("record.relocate", "重新定位", "Locate again"),
    (
        "record.pick_on_map",
        "在地图上选网格",
        "Pick the grid on the map",
    ),
    (
        "record.map_hint",
        "点一下所在的网格",
        "Tap the grid you are in",
    ),
    ("record.grid", "网格", "Grid"),
    ("record.community", "社区", "Community"),
    ("record.source", "定位方式", "Position from"),
    ("record.src.gps", "卫星定位", "GPS"),
    (
        "record.src.manual",
        "本机预设位置",
        "The position set on this device",
    ),
    ("record.src.pick", "在地图上选的", "Picked on the map"),
    (
        "record.src.carried",
        "沿用上一条诉求的网格",
        "Kept from the last demand",
    ),
    ("record.meters", "{} 米", "{} m"),
    (
        "record.carried",
        "没能重新定位，暂用上一条诉求的网格：请确认，或在地图上重新选。",
        "The position could not be found again; the last demand's grid is kept: confirm it, or pick again on the map.",
    ),
    (
        "record.other_station_here",
        "这个网格属于{}，不是您的代表工作站：请在地图上选您站里的网格。",
        "This grid belongs to {}, not your station: pick one of your station's grids on the map.",
    ),
    (
        "record.pick_other_station",
        "{}属于{}，不是您的代表工作站，不能选。请选绿色的本站网格。",
        "{} belongs to {}, not your station, so it cannot be chosen. Pick one of your station's grids (green).",
    ),
    ("record.map_mine", "我的网格", "My grids"),
    ("record.map_station", "本站其他网格", "My station's others"),
    ("record.map_other", "其他代表工作站", "Other stations"),
    ("record.map_whole", "看整个街道", "Show the whole street"),
    (
        "record.map_station_only",
        "只看本站",
        "Show my station only",
    ),
    ("record.filed_in", "将记入：{}", "To be filed in: {}"),
    ("record.filed_in_none", "还没有网格", "No grid yet"),
    (
        "record.near_boundary",
        "位置靠近网格边界，请确认。相邻网格：{}（{} 米）",
        "Near a grid boundary, please confirm. Neighbouring grid: {} ({} m)",
    ),
    (
        "record.outside",
        "位置在街道范围以外，已找最近的网格，请确认。",
        "The position is outside the street; the nearest grid was chosen, please confirm.",
    ),
    ("record.confirm_this", "确认是", "Yes, it is"),
    (
        "record.choose_other",
        "改为相邻网格",
        "Use the neighbouring grid",
    ),
    ("record.confirmed", "网格已确认", "Grid confirmed"),
    ("record.contact", "居民联系方式", "Resident's contact"),
    (
        "record.contact_add",
        "＋ 留居民联系方式（居民已同意）",
        "+ Resident's contact (they agree)",
    ),
    (
        "record.contact_remove",
        "不留联系方式",
        "No contact after all",
    ),
    ("record.contact_name", "姓名", "Name"),
    ("record.contact_phone", "电话", "Phone"),
    (
        "record.consent",
        "居民同意留下联系方式，用于回访",
        "The resident agrees to be contacted about this",
    ),
    ("record.photo", "照片（可不填）", "Photos (optional)"),
    (
        "record.photo_add",
        "拍照或选择照片",
        "Take or choose a photo",
    ),
    ("record.photo_busy", "正在处理照片…", "Preparing the photo…"),
    ("record.photo_remove", "移除", "Remove"),
    (
        "record.photo_max",
        "每条诉求最多 {} 张照片",
        "At most {} photos per demand",
    ),
    (
        "record.photo_not_image",
        "这个文件不是图片，请重新选择",
        "That file is not a picture; choose another",
    ),
    (
        "record.photo_failed",
        "照片处理失败，请重试",
        "The photo could not be prepared; try again",
    ),
    ("record.save", "保存", "Save"),
    ("record.saved", "已保存", "Saved"),
    (
        "record.attached",
        "已保存：这位居民已加入这条诉求",
        "Saved: this resident was added to that demand",
    ),
    (
        "record.similar",
        "本网格已有的相似诉求",
        "Similar demands already in this grid",
    ),
    (
        "record.similar_no_grid",
        "确定网格后显示本网格已有的诉求",
        "Similar demands show once the grid is known",
    ),
    (
        "record.similar_none",
        "本网格已有 {} 条诉求，没有相似的",
        "{} demands in this grid, none similar",
    ),
    (
        "record.attach",
        "把这位居民加到这条诉求",
        "Add this resident to this demand",
    ),
    (
        "record.err.text_empty",
        "请填写诉求内容",
        "Enter what the resident asks",
    ),
    (
        "record.err.text_long",
        "内容过长：{} 字，最多 {} 字",
        "Too long: {} characters, at most {}",
    ),
    ("record.err.category", "请选择一个类别", "Choose a category"),
    (
        "record.err.no_grid",
        "还没有网格：请定位，或在地图上选网格",
        "No grid yet: locate, or pick the grid on the map",
    ),
    (
        "record.err.confirm",
        "请先确认网格",
        "Confirm the grid first",
    ),
    (
        "record.err.other_station",
        "这个网格不属于您的代表工作站",
        "This grid is not in your station",
    ),
    (
        "record.err.consent",
        "留下居民姓名电话必须征得本人同意，请勾选",
        "Recording a resident's name and phone needs their consent: tick the box",
    ),
    (
        "record.err.name",
        "请填写居民姓名",
        "Enter the resident's name",
    ),
    ("record.err.name_long", "姓名过长", "Name too long"),
    (
        "record.err.phone_missing",
        "请填写居民电话",
        "Enter the resident's phone",
    ),
    (
        "record.err.phone_digits",
        "电话号码只能有数字（可带空格或短横线）",
        "A phone number has digits only (spaces and dashes allowed)",
    ),
    (
        "record.err.phone_mobile",
        "手机号应为 11 位数字，现在是 {} 位",
        "A mobile number has 11 digits; this one has {}",
    ),
    (
        "record.err.phone_landline",
        "固定电话应为区号加 7 到 8 位号码，例如 010-69041234",
        "A landline is an area code and 7 to 8 digits, e.g. 010-69041234",
    ),
    (
        "record.err.phone_area",
        "固定电话请加上区号，例如 010-69041234",
        "Add the area code to a landline, e.g. 010-69041234",
    ),
    (
        "record.err.phone_unknown",
        "不是手机号（11 位，以 1 开头），也不是带区号的固定电话（以 0 开头）",
        "Neither a mobile (11 digits, starting with 1) nor a landline with its area code (starting with 0)",
    ),
    (
        "record.err.attach_needs_contact",
        "要加入已有诉求，请填写居民姓名、电话并勾选同意",
        "To add a resident to a demand, enter the name and phone and tick consent",
    ),
    // visit
    ("visit.title", "联系选民走访", "Voter-contact visit"),
    ("visit.grid", "网格", "Grid"),
    ("visit.choose_grid", "请选择网格", "Choose a grid"),
    ("visit.place", "地点", "Place"),
    ("visit.topic", "主题", "Topic"),
    (
        "visit.with",
        "一同走访的代表（可多选）",
        "Delegates coming along",
    ),
    ("visit.start", "开始走访", "Start the visit"),
    (
        "visit.started",
        "已保存：走访已开始",
        "Saved: the visit has started",
    ),
    ("visit.under_way", "正在进行的走访：", "Visit under way:"),
    (
        "visit.record_for",
        "为本次走访记诉求",
        "Record a demand for this visit",
    ),
    ("visit.attendance", "参加居民人数", "Residents attending"),
    ("visit.end", "结束走访", "End the visit"),
    (
        "visit.ended",
        "已保存：走访已结束",
        "Saved: the visit has ended",
    ),
    ("visit.ended_with", "已结束，参加人数", "ended, attendance"),
    ("visit.open", "进行中", "under way"),
    ("visit.list", "走访记录", "Visits"),
    ("visit.none", "还没有走访记录", "No visits yet"),
    ("visit.err.grid", "请选择网格", "Choose a grid"),
    (
        "visit.err.attendance",
        "请填写人数（0 或正整数）",
        "Enter a number (0 or more)",
    ),
    // demands
    ("demands.title", "我的诉求", "My demands"),
    ("demands.scope_mine", "我记录的", "Recorded by me"),
    ("demands.scope_station", "本站全部", "Whole station"),
    ("demands.page.back", "← 返回诉求列表", "← Back to the list"),
    ("demands.page.title", "诉求详情", "Demand"),
    ("demands.page.status", "状态", "Status"),
    ("demands.page.recorded", "记录", "Recorded"),
    ("demands.page.visit", "走访", "Visit"),
    (
        "demands.page.no_visit",
        "不是在走访中记录的",
        "Not recorded on a visit",
    ),
    (
        "demands.page.visit_unknown",
        "这次走访还没有同步到本机",
        "That visit is not on this device yet",
    ),
    ("demands.page.residents", "居民", "Residents"),
    (
        "demands.page.residents_n",
        "{} 位留了联系方式",
        "{} left a contact",
    ),
    ("demands.page.sync", "同步", "Sync"),
    (
        "demands.page.synced",
        "已同步，服务器已确认",
        "Synced, confirmed by the server",
    ),
    (
        "demands.page.not_synced",
        "还没同步：等待服务器确认",
        "Not synced yet: waiting for the server",
    ),
    (
        "demands.page.photos_not_synced",
        "诉求已同步，照片还在等待上传",
        "Synced; its photos are still waiting to upload",
    ),
    (
        "demands.page.contacts",
        "居民联系方式",
        "Residents' contacts",
    ),
    (
        "demands.page.contacts_none",
        "没有居民留联系方式",
        "No resident left a contact",
    ),
    (
        "demands.page.contacts_hidden",
        "有居民留了联系方式，您无权查看",
        "Residents left contacts you may not see",
    ),
    ("demands.page.show_phone", "显示号码", "Show the number"),
    ("demands.page.timeline", "进展", "Progress"),
    (
        "demands.search_ph",
        "搜索诉求内容，例如：电梯",
        "Search the texts, e.g. 电梯",
    ),
    ("demands.any_status", "全部状态", "Any status"),
    ("demands.any_category", "全部类别", "Any category"),
    ("demands.none", "没有找到诉求", "No demands found"),
    ("demands.count", "共 {} 条", "{} demands"),
    ("ev.recorded", "已记录", "Recorded"),
    ("demands.photo_alt", "现场照片", "Photo from the field"),
    ("demands.photos", "照片 {} 张", "{} photo(s)"),
    ("ev.reviewed", "站长已研判", "Reviewed by the station head"),
    ("ev.joined", "与其他诉求合并", "Joined into another demand"),
    (
        "ev.suggestion",
        "形成代表建议",
        "Taken into a delegate suggestion",
    ),
    (
        "ev.contact",
        "加入了居民联系方式",
        "A resident's contact was added",
    ),
    ("ev.withdrawn", "已撤回", "Withdrawn"),
    (
        "ev.on_spot",
        "站长当场答复",
        "Answered on the spot by the station head",
    ),
    (
        "ev.workroom",
        "转社区接诉即办工作室办理",
        "Handed to the community's 12345 workroom",
    ),
    (
        "ev.out_of_scope",
        "不属于代表履职范围",
        "Outside the delegates' remit",
    ),
    ("ev.routed", "交办理单位", "Sent to a handling unit"),
    ("ev.deadline", "期限", "deadline"),
    ("ev.answered", "已答复", "Answered"),
    ("ev.fed_back", "已反馈居民", "Fed back to the resident"),
    ("ev.closed", "已办结", "Closed"),
    ("ev.reopened", "重新打开", "Reopened"),
    ("ev.note", "备注", "Note"),
    ("ev.classified", "已分级", "Classified"),
    ("ev.whistled", "代表吹哨", "Delegate whistle"),
    ("ev.visit_ended", "走访结束", "Visit ended"),
    (
        "ev.unknown",
        "（新版本的记录）",
        "(a record from a newer version)",
    ),
    // sync
    ("sync.title", "同步", "Sync"),
    ("sync.now", "立即同步", "Sync now"),
    ("sync.running", "正在同步…", "Syncing…"),
    ("sync.done_all", "已全部同步", "Everything is synced"),
    (
        "sync.done_all_n",
        "已全部同步：服务器确认了 {} 条",
        "Everything is synced: the server confirmed {}",
    ),
    (
        "sync.done_left",
        "同步完成，还有 {} 条等待服务器确认",
        "Synced; {} still waiting for the server",
    ),
    ("sync.item.demand", "诉求", "Demand"),
    ("sync.item.visit", "走访", "Visit"),
    ("sync.item.photo", "照片", "Photo"),
    ("sync.item.contact", "居民联系方式", "Resident's contact"),
    (
        "sync.recovered",
        "服务器拒绝了本机的一项修改。本机已按服务器的数据重新整理：您的 {} 项记录已重新提交，{} 项因无权操作未提交。",
        "The server refused one change from this device. The device started over from the server's data: {} of your records were sent again, {} not permitted were left out.",
    ),
    ("sync.failed", "同步没有完成", "The sync did not finish"),
    ("sync.retry", "重试", "Retry"),
    ("sync.reenrol", "重新绑定设备", "Enrol this device again"),
    (
        "sync.pending",
        "等待服务器确认的记录",
        "Records waiting for the server",
    ),
    (
        "sync.pending_n",
        "还有 {} 条记录未同步",
        "{} records not yet synced",
    ),
    (
        "sync.all_confirmed",
        "所有记录都已同步，服务器已确认",
        "Everything is synced and confirmed by the server",
    ),
    // tasks
    ("tasks.title", "回访任务", "Call-back tasks"),
    (
        "tasks.empty",
        "暂时没有任务。代表工作室派回访任务后会显示在这里。",
        "No tasks yet. Call-back tasks from the delegate office will appear here.",
    ),
];
