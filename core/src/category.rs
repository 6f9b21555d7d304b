//! The category taxonomy of demands: the article's 七有 and 五性, plus the topics that recur in
//! the field. Categories travel as stable English codes; people see the Chinese label.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Which family a category belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryGroup {
    /// 七有: the seven "haves" of public services.
    SevenHaves,
    /// 五性: the five qualities of city life.
    FiveQualities,
    /// Recurring topics.
    Topic,
}

macro_rules! categories {
    ($($variant:ident => $code:literal, $zh:literal, $en:literal, $group:ident;)+) => {
        /// A demand's category.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum Category { $($variant,)+ }

        impl Category {
            pub const ALL: &'static [Category] = &[$(Category::$variant,)+];

            pub fn code(self) -> &'static str {
                match self { $(Category::$variant => $code,)+ }
            }
            pub fn zh(self) -> &'static str {
                match self { $(Category::$variant => $zh,)+ }
            }
            pub fn en(self) -> &'static str {
                match self { $(Category::$variant => $en,)+ }
            }
            pub fn group(self) -> CategoryGroup {
                match self { $(Category::$variant => CategoryGroup::$group,)+ }
            }
        }
    };
}

categories! {
    ChildCare => "child_care", "幼有所育", "Child care", SevenHaves;
    Education => "education", "学有所教", "Education", SevenHaves;
    Employment => "employment", "劳有所得", "Work and income", SevenHaves;
    Medical => "medical", "病有所医", "Medical care", SevenHaves;
    ElderlyCare => "elderly_care", "老有所养", "Elderly care", SevenHaves;
    Housing => "housing", "住有所居", "Housing", SevenHaves;
    VulnerableSupport => "vulnerable_support", "弱有所扶", "Support for the vulnerable", SevenHaves;
    Convenience => "convenience", "便利性", "Convenience", FiveQualities;
    Livability => "livability", "宜居性", "Livability", FiveQualities;
    Diversity => "diversity", "多样性", "Diversity", FiveQualities;
    Fairness => "fairness", "公正性", "Fairness", FiveQualities;
    Safety => "safety", "安全性", "Safety", FiveQualities;
    OldEstateRenovation => "old_estate_renovation", "老旧小区改造", "Old-estate renovation", Topic;
    LiftMaintenance => "lift_maintenance", "电梯维保", "Lift maintenance", Topic;
    Parking => "parking", "停车", "Parking", Topic;
    WasteSorting => "waste_sorting", "垃圾分类", "Waste sorting", Topic;
    PropertyManagement => "property_management", "物业管理", "Property management", Topic;
    Environment => "environment", "环境卫生", "Environment and sanitation", Topic;
    Traffic => "traffic", "交通出行", "Traffic and transport", Topic;
    Other => "other", "其他", "Other", Topic;
}

impl std::str::FromStr for Category {
    type Err = Error;

    /// Accepts the code or the Chinese label, so a delegate can type either.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Category::ALL
            .iter()
            .copied()
            .find(|c| c.code() == s || c.zh() == s)
            .ok_or_else(|| Error::UnknownCategory(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_parses_from_its_code_and_its_label() {
        for &c in Category::ALL {
            assert_eq!(c.code().parse::<Category>().unwrap(), c);
            assert_eq!(c.zh().parse::<Category>().unwrap(), c);
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.code())
            );
        }
        let seven = Category::ALL
            .iter()
            .filter(|c| c.group() == CategoryGroup::SevenHaves);
        assert_eq!(seven.count(), 7);
        let five = Category::ALL
            .iter()
            .filter(|c| c.group() == CategoryGroup::FiveQualities);
        assert_eq!(five.count(), 5);
        assert!("电梯".parse::<Category>().is_err());
    }
}
