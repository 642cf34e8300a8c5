//! Every rule of the module docs, one test each, with the W3C suite's own
//! cases where it has them.

use super::*;

const TP: &str = "00-12345678901234567890123456789012-1234567890123456-01";

fn parent(s: &str) -> Result<TraceParent, ContextError> {
    s.parse()
}

#[test]
fn version_00_round_trips() {
    let p = parent(TP).unwrap();
    assert_eq!(p.trace_id.to_hex(), "12345678901234567890123456789012");
    assert_eq!(p.parent_id.to_hex(), "1234567890123456");
    assert!(p.flags.is_sampled() && !p.flags.is_random());
    assert_eq!(p.to_string(), TP);
}

#[test]
fn ows_around_the_value_is_not_part_of_it() {
    for v in [
        format!(" {TP}"),
        format!("\t{TP}"),
        format!("{TP} "),
        format!("{TP}\t"),
        format!("\t {TP} \t"),
    ] {
        assert_eq!(parent(&v).unwrap().to_string(), TP, "{v:?}");
    }
}

#[test]
fn version_00_is_exactly_55_characters() {
    assert_eq!(parent(&format!("{TP}.")), Err(ContextError::Length));
    assert_eq!(
        parent(&format!("{TP}-what-the-future-will-be-like")),
        Err(ContextError::Length)
    );
    assert_eq!(parent(&TP[..54]), Err(ContextError::Length));
}

#[test]
fn version_ff_is_refused() {
    assert_eq!(
        parent("ff-12345678901234567890123456789012-1234567890123456-01"),
        Err(ContextError::Version)
    );
}

#[test]
fn a_future_version_reads_its_first_four_fields() {
    let p = parent("cc-12345678901234567890123456789012-1234567890123456-01").unwrap();
    assert_eq!(p.trace_id.to_hex(), "12345678901234567890123456789012");
    let p = parent(
        "cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
    )
    .unwrap();
    // Written back as version 00, four fields.
    assert_eq!(p.to_string(), TP);
    // After the fourth field, only a dash may follow.
    assert!(
        parent("cc-12345678901234567890123456789012-1234567890123456-01.what-the-future").is_err()
    );
}

#[test]
fn version_must_be_two_lowercase_hex_digits() {
    for v in [
        ".0-12345678901234567890123456789012-1234567890123456-01",
        "0.-12345678901234567890123456789012-1234567890123456-01",
        "000-12345678901234567890123456789012-1234567890123456-01",
        "0000-12345678901234567890123456789012-1234567890123456-01",
        "0-12345678901234567890123456789012-1234567890123456-01",
        "0A-12345678901234567890123456789012-1234567890123456-01",
    ] {
        assert!(parent(v).is_err(), "{v}");
    }
}

#[test]
fn fields_have_fixed_lengths() {
    for v in [
        // trace id too long, too short
        "00-123456789012345678901234567890123-1234567890123456-01",
        "00-1234567890123456789012345678901-1234567890123456-01",
        // parent id too long, too short
        "00-12345678901234567890123456789012-12345678901234567-01",
        "00-12345678901234567890123456789012-123456789012345-01",
        // flags too long, too short
        "00-12345678901234567890123456789012-1234567890123456-001",
        "00-12345678901234567890123456789012-1234567890123456-1",
    ] {
        assert!(parent(v).is_err(), "{v}");
    }
}

#[test]
fn only_lowercase_hex_is_accepted() {
    for v in [
        "00-.2345678901234567890123456789012-1234567890123456-01",
        "00-1234567890123456789012345678901.-1234567890123456-01",
        "00-ABCDEF78901234567890123456789012-1234567890123456-01",
        "00-12345678901234567890123456789012-.234567890123456-01",
        "00-12345678901234567890123456789012-123456789012345.-01",
        "00-12345678901234567890123456789012-123456789012345A-01",
        "00-12345678901234567890123456789012-1234567890123456-.0",
        "00-12345678901234567890123456789012-1234567890123456-0.",
        "00_12345678901234567890123456789012-1234567890123456-01",
        "00-12345678901234567890123456789012_1234567890123456-01",
        "00-12345678901234567890123456789012-1234567890123456_01",
        // A multi-byte character where a digit should be.
        "00-1234567890123456789012345678901é-1234567890123456-01",
    ] {
        assert!(parent(v).is_err(), "{v}");
    }
}

#[test]
fn all_zero_ids_are_refused() {
    assert_eq!(
        parent("00-00000000000000000000000000000000-1234567890123456-01"),
        Err(ContextError::ZeroTraceId)
    );
    assert_eq!(
        parent("00-12345678901234567890123456789012-0000000000000000-01"),
        Err(ContextError::ZeroParentId)
    );
}

#[test]
fn level_2_random_flag_is_kept_and_unknown_bits_are_not() {
    let p = parent("00-12345678901234567890123456789012-1234567890123456-02").unwrap();
    assert!(p.flags.is_random() && !p.flags.is_sampled());
    assert!(p.to_string().ends_with("-02"));
    let p = parent("00-12345678901234567890123456789012-1234567890123456-ff").unwrap();
    assert_eq!(p.flags, TraceFlags(0x03));
    assert!(p.to_string().ends_with("-03"));
}

#[test]
fn more_than_one_traceparent_is_no_parent() {
    assert!(TraceContext::from_fields([TP, TP], []).is_none());
    assert!(TraceContext::from_fields([TP], []).is_some());
    assert!(TraceContext::from_fields([], ["foo=1"]).is_none());
}

#[test]
fn an_invalid_traceparent_drops_its_tracestate_too() {
    assert!(TraceContext::from_fields(["00-zz"], ["foo=1"]).is_none());
}

#[test]
fn an_invalid_tracestate_is_dropped_and_the_parent_kept() {
    let ctx = TraceContext::from_fields([TP], ["foo=bar=baz"]).unwrap();
    assert!(ctx.state.is_empty());
    assert_eq!(ctx.parent.to_string(), TP);
}

fn state(fields: &[&str]) -> Result<TraceState, ContextError> {
    TraceState::parse(fields.iter().copied())
}

#[test]
fn tracestate_fields_combine_in_order() {
    let s = state(&["foo=1,bar=2", "rojo=1,congo=2", "baz=3"]).unwrap();
    assert_eq!(s.to_string(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

#[test]
fn tracestate_ows_and_empty_members_are_skipped() {
    let s = state(&["foo=1\t \t,\t \tbar=2,\t \tbaz=3"]).unwrap();
    assert_eq!(s.to_string(), "foo=1,bar=2,baz=3");
    for v in [" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"] {
        assert_eq!(state(&[v]).unwrap().get("foo"), Some("1"), "{v:?}");
    }
    assert_eq!(state(&["foo=1,,  ,bar=2,"]).unwrap().len(), 2);
    assert!(state(&[""]).unwrap().is_empty());
    assert_eq!(state(&["foo=1", ""]).unwrap().get("foo"), Some("1"));
    assert_eq!(state(&["", "foo=1"]).unwrap().get("foo"), Some("1"));
}

#[test]
fn tracestate_holds_at_most_32_members() {
    let members: Vec<String> = (1..=32).map(|i| format!("bar{i:02}={i:02}")).collect();
    let s = state(&[&members.join(",")]).unwrap();
    assert_eq!(s.len(), 32);
    let more = format!("{},bar33=33", members.join(","));
    assert_eq!(state(&[&more]), Err(ContextError::TooManyMembers));
}

#[test]
fn tracestate_keys_follow_the_grammar() {
    for bad in ["foo =1", "FOO=1", "foo.bar=1", "@foo=1", "=1", "_foo=1"] {
        assert_eq!(state(&[bad, "bar=2"]), Err(ContextError::Member), "{bad}");
    }
    // Vendor keys: an at sign anywhere but first, within 256 characters.
    for good in [
        "foo@=1",
        "foo@@bar=1",
        "foo@bar@baz=1",
        "1foo=1",
        "abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/=1",
    ] {
        assert!(state(&[good, "bar=2"]).is_ok(), "{good}");
    }
    let key256 = "z".repeat(256);
    assert!(state(&[&format!("{key256}=1")]).is_ok());
    let key257 = "z".repeat(257);
    assert_eq!(state(&[&format!("{key257}=1")]), Err(ContextError::Member));
    let vendor = format!("{}@{}", "t".repeat(241), "v".repeat(14));
    assert!(state(&[&format!("{vendor}=1")]).is_ok());
}

#[test]
fn tracestate_values_follow_the_grammar() {
    let all: String = (0x20u8..=0x7e)
        .filter(|c| *c != b',' && *c != b'=')
        .map(char::from)
        .collect();
    let s = state(&[&format!("foo={all}")]).unwrap();
    assert_eq!(s.get("foo"), Some(all.as_str()));
    for bad in ["foo=bar=baz", "foo=,bar=3", "foo=a\u{7f}", "foo=é"] {
        assert_eq!(state(&[bad]), Err(ContextError::Member), "{bad:?}");
    }
    assert!(state(&[&format!("foo={}", "v".repeat(256))]).is_ok());
    assert!(state(&[&format!("foo={}", "v".repeat(257))]).is_err());
}

#[test]
fn a_duplicated_key_keeps_its_first_member() {
    assert_eq!(state(&["foo=1,foo=2"]).unwrap().to_string(), "foo=1");
    assert_eq!(state(&["foo=1", "foo=2"]).unwrap().to_string(), "foo=1");
}

#[test]
fn insert_moves_to_the_front_and_keeps_32() {
    let members: Vec<String> = (1..=32).map(|i| format!("k{i}=v")).collect();
    let mut s = state(&[&members.join(",")]).unwrap();
    s.insert("k5", "new").unwrap();
    assert_eq!(s.iter().next(), Some(("k5", "new")));
    assert_eq!(s.len(), 32);
    s.insert("brisk", "1").unwrap();
    assert_eq!(s.len(), 32);
    assert_eq!(s.get("k32"), None, "the last member made room");
    assert_eq!(s.insert("Bad", "1"), Err(ContextError::Member));
    assert_eq!(s.remove("brisk").as_deref(), Some("1"));
}

#[test]
fn from_headers_reads_every_field() {
    use crate::header::{HeaderMap, HeaderValue};
    let mut h = HeaderMap::new();
    h.append("TraceParent", HeaderValue::from_static(TP));
    h.append("tracestate", HeaderValue::from_static("a=1"));
    h.append("TRACESTATE", HeaderValue::from_static("b=2"));
    let ctx = TraceContext::from_headers(&h).unwrap();
    assert_eq!(ctx.state.to_string(), "a=1,b=2");
    h.append("traceparent", HeaderValue::from_static(TP));
    assert!(TraceContext::from_headers(&h).is_none());
}

#[test]
fn traceparent_bytes_are_its_display_form() {
    let p = TraceParent {
        trace_id: TraceId([0xa1; 16]),
        parent_id: SpanId([0x0f; 8]),
        flags: TraceFlags(0xff),
    };
    let text = format!(
        "00-{}-{}-{:02x}",
        "a1".repeat(16),
        "0f".repeat(8),
        TraceFlags::KNOWN
    );
    assert_eq!(p.to_bytes().as_slice(), text.as_bytes());
    assert_eq!(p.to_string(), text);
    assert_eq!(p.trace_id.to_hex(), "a1".repeat(16));
    assert_eq!(p.parent_id.to_string(), "0f".repeat(8));
}
