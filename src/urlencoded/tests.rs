//! The serializer against the shapes reqwest users pass to `query` and
//! `form`, and against the shapes a form cannot carry.

use super::{for_each_pair, to_form};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

fn pairs<T: Serialize + ?Sized>(value: &T) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for_each_pair(value, &mut |k, v| out.push((k.to_string(), v.to_string()))).unwrap();
    out
}

fn err<T: Serialize + ?Sized>(value: &T) -> String {
    to_form(value).unwrap_err().to_string()
}

fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[derive(Serialize)]
enum Order {
    Asc,
    #[serde(rename = "desc")]
    Desc,
}

#[derive(Serialize)]
struct Id(u32);

#[derive(Serialize)]
struct Search<'a> {
    q: &'a str,
    limit: u32,
    cursor: Option<&'a str>,
    page: Option<u16>,
    exact: bool,
    order: Order,
    sep: char,
    id: Id,
    ratio: f64,
}

#[test]
fn struct_fields_in_order_none_skipped_some_unwrapped() {
    let s = Search {
        q: "a b",
        limit: 10,
        cursor: None,
        page: Some(2),
        exact: false,
        order: Order::Desc,
        sep: 'é',
        id: Id(7),
        ratio: 1.0,
    };
    assert_eq!(
        pairs(&s),
        p(&[
            ("q", "a b"),
            ("limit", "10"),
            ("page", "2"),
            ("exact", "false"),
            ("order", "desc"),
            ("sep", "é"),
            ("id", "7"),
            ("ratio", "1.0"),
        ])
    );
    assert_eq!(
        to_form(&s).unwrap(),
        "q=a+b&limit=10&page=2&exact=false&order=desc&sep=%C3%A9&id=7&ratio=1.0"
    );
}

#[test]
fn slices_vecs_arrays_and_tuples_of_pairs() {
    assert_eq!(pairs(&[("limit", 10)]), p(&[("limit", "10")]));
    assert_eq!(
        pairs(&[("a", "b"), ("c", "d")][..]),
        p(&[("a", "b"), ("c", "d")])
    );
    let owned = vec![("k".to_string(), "v".to_string()), ("k".into(), "w".into())];
    assert_eq!(pairs(&owned), p(&[("k", "v"), ("k", "w")]));
    assert_eq!(
        pairs(&(("x", 1), ("y", true))),
        p(&[("x", "1"), ("y", "true")])
    );
    // A pair whose value is None is left out.
    assert_eq!(
        pairs(&[("a", Some(1)), ("b", None), ("c", Some(3))]),
        p(&[("a", "1"), ("c", "3")])
    );
    // Numbers as names.
    assert_eq!(pairs(&[(1, "one")]), p(&[("1", "one")]));
}

#[test]
fn maps() {
    let mut m = HashMap::new();
    m.insert("only", 1.5f32);
    assert_eq!(pairs(&m), p(&[("only", "1.5")]));
    let b: BTreeMap<&str, Option<&str>> = [("a", Some("1")), ("b", None), ("c", Some(""))].into();
    assert_eq!(to_form(&b).unwrap(), "a=1&c=");
    let by_enum: BTreeMap<u8, Order> = [(1, Order::Asc)].into();
    assert_eq!(pairs(&by_enum), p(&[("1", "Asc")]));
}

#[test]
fn nothing_at_all() {
    assert_eq!(to_form(&()).unwrap(), "");
    assert_eq!(to_form(&None::<[(&str, &str); 1]>).unwrap(), "");
    assert_eq!(to_form(&Some([("a", "b")])).unwrap(), "a=b");
    let empty: [(&str, &str); 0] = [];
    assert_eq!(to_form(&empty).unwrap(), "");
    #[derive(Serialize)]
    struct Unit;
    assert_eq!(to_form(&Unit).unwrap(), "");
}

#[test]
fn numbers_and_floats_as_serde_urlencoded_writes_them() {
    #[derive(Serialize)]
    struct N {
        a: i8,
        b: i64,
        c: u64,
        d: u128,
        e: f64,
        f: f64,
        g: f32,
        h: f64,
    }
    let n = N {
        a: -1,
        b: i64::MIN,
        c: u64::MAX,
        d: u128::MAX,
        e: 0.5,
        f: 1e21,
        g: -0.0,
        h: f64::NAN,
    };
    assert_eq!(
        to_form(&n).unwrap(),
        format!(
            "a=-1&b={}&c={}&d={}&e=0.5&f=1e21&g=-0.0&h=NaN",
            i64::MIN,
            u64::MAX,
            u128::MAX
        )
    );
}

#[test]
fn form_encoding_matches_the_url_query_encoding() {
    // Space as `+`; everything but alphanumerics and `*-._` escaped,
    // non-ASCII as its UTF-8 bytes: exactly what Url::append_query_pair
    // writes, so `query` and `form` agree.
    let tricky = [("a b", "c&d=é"), ("x+y", "~!*'();:@$,/?#[]%"), ("", "")];
    let form = to_form(&tricky).unwrap();
    assert_eq!(
        form,
        "a+b=c%26d%3D%C3%A9&x%2By=%7E%21*%27%28%29%3B%3A%40%24%2C%2F%3F%23%5B%5D%25&="
    );
    let mut url = crate::url::Url::parse("http://h/p").unwrap();
    for_each_pair(&tricky, &mut |k, v| url.append_query_pair(k, v)).unwrap();
    assert_eq!(url.query(), Some(form.as_str()));
}

#[test]
fn shapes_a_form_cannot_carry_are_errors() {
    #[derive(Serialize)]
    struct Nested {
        tags: Vec<&'static str>,
    }
    assert!(err(&Nested { tags: vec!["a"] }).contains("`tags` is a sequence"));
    #[derive(Serialize)]
    struct Inner {
        x: u8,
    }
    #[derive(Serialize)]
    struct Outer {
        inner: Inner,
    }
    assert!(err(&Outer {
        inner: Inner { x: 1 }
    })
    .contains("`inner` is a struct"));
    let mut m = HashMap::new();
    m.insert("m", HashMap::from([("k", "v")]));
    assert!(err(&m).contains("`m` is a map"));
    #[derive(Serialize)]
    enum Shape {
        Circle(u32),
    }
    assert!(err(&[("s", Shape::Circle(1))]).contains("enum variant with data"));
    assert!(err(&[("u", ())]).contains("`u` is ()"));

    // Not a list of pairs at all.
    for top in [err("text"), err(&5), err(&true), err(&Order::Asc)] {
        assert!(top.contains("must be a struct, a map"), "{top}");
    }
    assert!(err(&["a", "b"]).contains("(name, value) pair"));
    assert!(err(&[("a", "b", "c")]).contains("(name, value) pair"));
    // Names cannot be absent.
    let opt_keys: BTreeMap<Option<&str>, &str> = [(Some("a"), "b")].into();
    assert!(err(&opt_keys).contains("not an Option"));
    assert!(err(&[(vec![1], "v")]).contains("name must be a string"));
}

#[test]
fn pairs_before_an_error_were_handed_over() {
    let mut seen = Vec::new();
    let res = for_each_pair(&[("a", vec![]), ("b", vec![1])], &mut |k, _| {
        seen.push(k.to_string())
    });
    assert!(res.is_err());
    assert!(seen.is_empty());
    #[derive(Serialize)]
    struct Half {
        ok: u8,
        bad: Vec<u8>,
    }
    let res = for_each_pair(&Half { ok: 1, bad: vec![] }, &mut |k, _| {
        seen.push(k.to_string())
    });
    assert!(res.is_err());
    assert_eq!(seen, ["ok"]);
}
