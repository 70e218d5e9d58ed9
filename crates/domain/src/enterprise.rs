//! Enterprises (企业 / 客商): the unified social credit code, ownership, industry and flags.

use crate::{labeled_enum, DomainError};

/// Characters of a USCC (GB 32100-2015): digits and capitals without I, O, S, V, Z.
const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A unified social credit code (统一社会信用代码), 18 characters with a check character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uscc(String);

impl Uscc {
    pub fn parse(pointer: &str, raw: &str) -> Result<Self, DomainError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() != 18 || !code.is_ascii() {
            return Err(DomainError::invalid(pointer, "uscc_length", "a unified social credit code has 18 characters"));
        }
        let mut values = [0u32; 18];
        for (i, b) in code.bytes().enumerate() {
            match USCC_CHARS.iter().position(|c| *c == b) {
                Some(v) => values[i] = v as u32,
                None => {
                    return Err(DomainError::invalid(
                        pointer,
                        "uscc_character",
                        format!(
                            "character {} ({}) is not allowed (digits and capitals except I, O, S, V, Z)",
                            i + 1,
                            b as char
                        ),
                    ))
                }
            }
        }
        if !code[2..8].bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::invalid(pointer, "uscc_region", "characters 3-8 must be the region code digits"));
        }
        let sum: u32 = values[..17].iter().zip(USCC_WEIGHTS).map(|(v, w)| v * w).sum();
        let check = (31 - sum % 31) % 31;
        if values[17] != check {
            return Err(DomainError::invalid(
                pointer,
                "uscc_check",
                "the check character does not match (GB 32100-2015)",
            ));
        }
        Ok(Uscc(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

labeled_enum! {
    /// Ownership of an enterprise.
    pub enum Ownership {
        CentralSoe = ("central_soe", "央企", "Central state-owned enterprise"),
        LocalSoe = ("local_soe", "地方国企", "Local state-owned enterprise"),
        Private = ("private", "民营企业", "Private enterprise"),
        Foreign = ("foreign", "外资企业", "Foreign-invested enterprise"),
        JointVenture = ("joint_venture", "合资企业", "Joint venture"),
        Other = ("other", "其他", "Other"),
    }
}

labeled_enum! {
    /// Industry section of GB/T 4754-2017 (国民经济行业分类 门类).
    pub enum IndustrySection {
        A = ("A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
        B = ("B", "采矿业", "Mining"),
        C = ("C", "制造业", "Manufacturing"),
        D = ("D", "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply"),
        E = ("E", "建筑业", "Construction"),
        F = ("F", "批发和零售业", "Wholesale and retail trade"),
        G = ("G", "交通运输、仓储和邮政业", "Transport, storage and postal services"),
        H = ("H", "住宿和餐饮业", "Accommodation and catering"),
        I = ("I", "信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
        J = ("J", "金融业", "Finance"),
        K = ("K", "房地产业", "Real estate"),
        L = ("L", "租赁和商务服务业", "Leasing and business services"),
        M = ("M", "科学研究和技术服务业", "Scientific research and technical services"),
        N = ("N", "水利、环境和公共设施管理业", "Water, environment and public facilities management"),
        O = ("O", "居民服务、修理和其他服务业", "Resident, repair and other services"),
        P = ("P", "教育", "Education"),
        Q = ("Q", "卫生和社会工作", "Health and social work"),
        R = ("R", "文化、体育和娱乐业", "Culture, sports and entertainment"),
        S = ("S", "公共管理、社会保障和社会组织", "Public administration, social security and social organizations"),
        T = ("T", "国际组织", "International organizations"),
    }
}

/// ISO 3166-1 alpha-2 codes.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL \
GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR \
LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK \
PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR \
TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// An ISO 3166-1 alpha-2 country code.
pub fn parse_country(pointer: &str, raw: &str) -> Result<String, DomainError> {
    if raw.len() == 2 && COUNTRIES.split_whitespace().any(|c| c == raw) {
        Ok(raw.to_owned())
    } else {
        Err(DomainError::invalid(pointer, "country", "must be an ISO 3166-1 alpha-2 code such as CN, HK, US"))
    }
}

/// A name reduced for matching and search (filled on write, compared with `LIKE`): NFKC
/// (full-width letters and digits folded), traditional characters converted to simplified
/// (seed 002 is in traditional characters), lower case, without spaces and punctuation.
pub fn normalize_name(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfkc: String = raw.nfkc().collect();
    fast2s::convert(&nfkc)
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !is_cjk_punctuation(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_cjk_punctuation(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303F}' | '·' | '・' | '—' | '…' | '“' | '”' | '‘' | '’')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_are_valid() {
        // Published codes: seed 004's issuer, and two listed companies.
        for code in ["11500381MB1984929M", "91350100M000100Y43", "9144030071526726XG"] {
            assert!(Uscc::parse("/uscc", code).is_ok(), "{code}");
        }
        assert_eq!(Uscc::parse("/uscc", " 11500381mb1984929m ").unwrap().as_str(), "11500381MB1984929M");
    }

    fn code_of(e: DomainError) -> String {
        match e {
            DomainError::Validation(v) => v[0].code.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn each_kind_of_invalid_code() {
        assert_eq!(code_of(Uscc::parse("/u", "11500381MB1984929").unwrap_err()), "uscc_length");
        assert_eq!(code_of(Uscc::parse("/u", "11500381MB1984929MM").unwrap_err()), "uscc_length");
        assert_eq!(code_of(Uscc::parse("/u", "11500381MB198492IM").unwrap_err()), "uscc_character");
        assert_eq!(code_of(Uscc::parse("/u", "11500381MB1984929N").unwrap_err()), "uscc_check");
        assert_eq!(code_of(Uscc::parse("/u", "115A0381MB1984929M").unwrap_err()), "uscc_region");
        assert_eq!(code_of(Uscc::parse("/u", "１１500381MB1984929M").unwrap_err()), "uscc_length");
    }

    #[test]
    fn countries() {
        assert!(parse_country("/c", "CN").is_ok());
        assert!(parse_country("/c", "HK").is_ok());
        assert!(parse_country("/c", "cn").is_err());
        assert!(parse_country("/c", "XX").is_err());
    }

    #[test]
    fn names_normalize_across_scripts_and_widths() {
        assert_eq!(normalize_name("麦格纳座椅（中国）研发中心"), normalize_name("麦格纳座椅(中国)研发中心"));
        assert_eq!(normalize_name("ＡＢＣ Seats"), "abcseats");
        assert_eq!(normalize_name("綿陽"), normalize_name("绵阳"));
    }
}
