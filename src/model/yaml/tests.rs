use super::*;

/// What js-yaml 4.1.1 (Directus 11.17.4's loader) said of each, with its own `load`.
#[test]
fn tags_on_collections_are_refused_where_directus_refuses_them() {
    let tags = |text: &str| {
        let src = SourceFile::new("s.yaml", text.as_bytes().to_vec(), None);
        parse(&src, Options::default())
            .issues
            .iter()
            .filter_map(|i| match &i.problem {
                Problem::UnknownTag(t) => Some(t.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    for refused in ["a: !foo {b: 1}\n", "a: !foo [1]\n", "a: !!python/object:os.system {}\n", "a: !foo\n  b: 1\n", "a: !foo\n  - 1\n"] {
        assert_eq!(tags(refused).len(), 1, "{refused:?}");
    }
    for accepted in ["a: !!map {b: 1}\n", "a: !!seq [1]\n", "a: !!set {x: null}\n", "a: !!omap [x: 1]\n", "a: ! {b: 1}\n", "a: !!map\n  b: 1\n"] {
        assert_eq!(tags(accepted), Vec::<String>::new(), "{accepted:?}");
    }
}

const SMALL: &str = "version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:\n  - collection: orders\n    meta:\n      icon: box\n    schema:\n      name: orders\n  - collection: folder\n    meta: null\n    schema: null\nfields:\n  - collection: orders\n    field: total\n    type: decimal\nrelations:\n  - collection: orders\n    field: customer\n    related_collection: directus_users\n    meta:\n      one_field: null\n      one_allowed_collections: [a, b]\n";

/// Both parsers build the same tree (spans of empty scalars aside).
fn same_tree(text: &str) -> Result<(), String> {
    let fast_src = SourceFile::new("s.yaml", text.as_bytes().to_vec(), None);
    let f = match fast::parse(&fast_src, text) {
        Some(f) => f,
        None => return Ok(()), // not in the subset: nothing to compare
    };
    let slow = events(&fast_src, text, Options::default());
    if slow.issues != f.issues {
        return Err(format!("problems differ: yaml-rust2 {:?} vs fast {:?}", slow.issues, f.issues));
    }
    let mut stack = vec![(f.root(), slow.root, String::new())];
    while let Some((a, b, path)) = stack.pop() {
        let (a, b) = match (a, b) {
            (None, None) => continue,
            (Some(a), Some(b)) => (&f.nodes[a], &slow.nodes[b]),
            _ => return Err(format!("{path}: one side has no node")),
        };
        match (&a.kind, &b.kind) {
            (NodeKind::Scalar(x), NodeKind::Scalar(y)) => {
                if x != y {
                    return Err(format!("{path}: scalar {x:?} vs {y:?}"));
                }
                let block = text.get(a.span.offset..).is_some_and(|t| t.starts_with(['|', '>']));
                if !x.text.is_empty() && !block && a.span != b.span {
                    return Err(format!("{path}: scalar span {:?} vs {:?}", a.span, b.span));
                }
            }
            (NodeKind::Seq(x), NodeKind::Seq(y)) => {
                if x.len() != y.len() {
                    return Err(format!("{path}: seq len {} vs {}", x.len(), y.len()));
                }
                if a.span.line != b.span.line {
                    return Err(format!("{path}: seq span {:?} vs {:?}", a.span, b.span));
                }
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    stack.push((Some(*p), Some(*q), format!("{path}/{i}")));
                }
            }
            (NodeKind::Map(x), NodeKind::Map(y)) => {
                if x.len() != y.len() {
                    return Err(format!("{path}: map len {} vs {}", x.len(), y.len()));
                }
                if !x.is_empty() && a.span != b.span {
                    return Err(format!("{path}: map span {:?} vs {:?}", a.span, b.span));
                }
                for (p, q) in x.iter().zip(y) {
                    if p.key != q.key || p.key_span != q.key_span {
                        return Err(format!("{path}: key {:?}@{:?} vs {:?}@{:?}", p.key, p.key_span, q.key, q.key_span));
                    }
                    stack.push((Some(p.value), Some(q.value), format!("{path}/{}", p.key)));
                }
            }
            _ => return Err(format!("{path}: kinds differ: {:?} vs {:?}", a.kind, b.kind)),
        }
    }
    Ok(())
}

#[test]
fn the_fast_path_builds_the_same_tree_as_yaml_rust2() {
    let real = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/snapshot.yaml")).unwrap_or_default();
    let cases: Vec<String> = vec![
        real.clone(),
        SMALL.replace("[a, b]", "\n        - a\n        - b"),
        "a: 1\nb:\n- x\n- y\nc: d\n".into(),
        "- a\n- - b\n  - c\n-\n  k: v\n- k: v\n  l: w\n".into(),
        "a: 'it''s' # c\nb: \"q\\\"\\n\\u00e9\\x41\" \nc: []\nd: {}\ne: null\nf:\ng: ~\n".into(),
        "# comment\n\nkey: value # trailing\n  # indented comment\nother: x#y\n".into(),
        "lit: |\n  line 1\n\n  line 3\n    indented\nnext: 1\n".into(),
        "lit: |-\n  a\n  b\n\n\nnext: 1\n".into(),
        "lit: |+\n  a\n\n\nnext: 1\n".into(),
        "fold: >-\n  one\n  two\n\n  three\nnext: 1\n".into(),
        "fold: >\n  one\n  two\n".into(),
        "empty: |\nnext: 1\n".into(),
        "'quoted key': 1\n\"dq\": 2\nurl: http://x/y?z=1\ntime: 12:30\n".into(),
        "a:\n  b:\n    c:\n      - d: 1\n        e: [] # x\n      - f\n".into(),
        "a: 1\r\nb:\r\n  - c\r\n".into(),
        "é: ü\nç: 'ñ'\n".into(),
        "just a scalar\n".into(),
        "- 1\n- -2\n- .5\n- 0x1F\n- true\n- ''\n".into(),
        "a:   spaced   \nb:   \n".into(),
    ];
    for (i, c) in cases.iter().enumerate() {
        if c.is_empty() {
            continue;
        }
        assert!(fast::parse(&SourceFile::new("s", c.clone().into_bytes(), None), c).is_some(), "case {i} should take the fast path:\n{c}");
        if let Err(e) = same_tree(c) {
            panic!("case {i}: {e}\n{}", c.chars().take(400).collect::<String>());
        }
    }
    // The real snapshot takes the fast path.
    if !real.is_empty() {
        assert!(fast::parse(&SourceFile::new("s", real.clone().into_bytes(), None), &real).is_some());
    }
}

/// Random edits of a snapshot-like document: wherever the fast path
/// accepts the result, yaml-rust2 accepts it too and builds the same tree.
#[test]
fn the_fast_path_agrees_with_yaml_rust2_on_mutations() {
    let base = SMALL.replace("[a, b]", "\n        - a\n        - b")
        + "lit: |-\n  one\n  two\nq: 'x''y'\ndq: \"a\\tb\"\nempty: []\nn:\n";
    let pieces = [":", ": ", " ", "  ", "-", "- ", "#", " #", "'", "\"", "\n", "\n  ", "|", ">", "[]", "{}", "a", "\\", "\t", "é", "?", "&", "*", "!", ",", "%"];
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut accepted = 0;
    let rounds: usize = std::env::var("TRM_MUTATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(4000);
    if let Some(seed0) = std::env::var("TRM_SEED").ok().and_then(|v| v.parse::<u64>().ok()) {
        for _ in 0..seed0 {
            next();
        }
    }
    for _ in 0..rounds {
        let mut t = base.clone();
        for _ in 0..(1 + next() % 3) {
            let mut at = (next() as usize) % (t.len() + 1);
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            match next() % 3 {
                0 => t.insert_str(at, pieces[(next() as usize) % pieces.len()]),
                1 => {
                    let mut end = (at + 1 + (next() as usize) % 4).min(t.len());
                    while !t.is_char_boundary(end) {
                        end -= 1;
                    }
                    t.replace_range(at..end, "");
                }
                _ => {
                    let mut end = (at + 1).min(t.len());
                    while !t.is_char_boundary(end) {
                        end += 1;
                    }
                    t.replace_range(at..end, pieces[(next() as usize) % pieces.len()]);
                }
            }
        }
        if fast::parse(&SourceFile::new("s", t.clone().into_bytes(), None), &t).is_some() {
            accepted += 1;
        }
        if let Err(e) = same_tree(&t) {
            panic!("{e}\n--- input ---\n{t}");
        }
    }
    assert!(accepted > rounds / 40, "only {accepted} of {rounds} mutations took the fast path");
}

#[test]
fn the_fast_path_gives_up_on_what_it_does_not_know() {
    for text in ["a: &x 1\nb: *x\n", "a: !!str 1\n", "a: [1, 2]\n", "a: 'multi\n  line'\n", "---\na: 1\n", "a: b: c\n", "a:\n\t- b\n", "? a\n: b\n", "a: 1\n  b: 2\n", "a: |2\n   x\n"] {
        assert!(fast::parse(&SourceFile::new("s", text.as_bytes().to_vec(), None), text).is_none(), "{text:?}");
    }
}

#[test]
fn one_duplicate_check_for_both_parsers_with_the_first_key() {
    let text = "a: 1\nb: 2\na: 3\n<<: {}\n";
    let src = SourceFile::new("s.yaml", text.as_bytes().to_vec(), None);
    let y = parse(&src, Options::default());
    assert_eq!(y.issues, events(&src, text, Options::default()).issues, "both parsers report the same");
    assert_eq!(y.issues.len(), 1, "{:?}", y.issues);
    match &y.issues[0].problem {
        Problem::DuplicateKey { key, first } => assert_eq!((key.as_str(), first.line, y.issues[0].span.line), ("a", 1, 3)),
        p => panic!("{p:?}"),
    }
    // Merge keys may repeat (js-yaml and Docker Compose merge each).
    let text = "x: &x {k: v}\ny:\n  <<: *x\n  <<: *x\n";
    let y = parse(&SourceFile::new("s.yaml", text.as_bytes().to_vec(), None), Options::default());
    assert!(y.issues.is_empty(), "{:?}", y.issues);
    // Many keys: the hashed branch finds the same first key.
    let mut big: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
    big.push_str("k7: again\n");
    let y = parse(&SourceFile::new("s.yaml", big.as_bytes().to_vec(), None), Options::default());
    assert!(matches!(&y.issues[..], [Issue { problem: Problem::DuplicateKey { key, first }, .. }] if key == "k7" && first.line == 8), "{:?}", y.issues);
}

#[test]
fn a_syntax_error_keeps_the_duplicates_found_before_it() {
    let text = "services:\n  d:\n    env:\n      A: 1\n      A: 2\n    ports:\n      - 1\n     - 2\n";
    let y = parse(&SourceFile::new("c.yaml", text.as_bytes().to_vec(), None), Options::default());
    let kinds: Vec<&Problem> = y.issues.iter().map(|i| &i.problem).collect();
    assert!(matches!(kinds[..], [Problem::DuplicateKey { .. }, Problem::Syntax(_)]), "{kinds:?}");
    assert!(y.root.is_none());
}

#[test]
fn merge_keys_and_lookups() {
    let text = "base: &b\n  image: a\n  build: .\nsvc:\n  <<: *b\n  image: c\n";
    let src = SourceFile::new("c.yaml", text.as_bytes().to_vec(), None);
    let y = parse(&src, Options { first_document_only: true });
    let svc = y.get(y.root.unwrap(), "svc").unwrap();
    assert_eq!(y.lookup(svc, "image").and_then(|e| y.text(e.value)).map(|t| t.0), Some("c"));
    assert_eq!(y.lookup(svc, "build").and_then(|e| y.text(e.value)).map(|t| t.0), Some("."));
    assert_eq!(y.merged_entries(svc).iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), vec!["image", "build", "image"]);
    let ext = y.extent(&src, y.get(y.root.unwrap(), "base").unwrap()).unwrap();
    assert_eq!((ext.line, ext.end_line), (2, 3));
}

/// js-yaml (Directus's loader) drops a leading byte-order mark: both parsers
/// read the same tree as without it, spans on line 1 one column further.
#[test]
fn a_leading_byte_order_mark_is_dropped_as_js_yaml_does() {
    for text in [SMALL, "version: 1\ndirectus: 11.17.4\ncollections: [{collection: a}]\n"] {
        let plain = parse(&SourceFile::new("s.yaml", text.as_bytes().to_vec(), None), Options::default());
        let bom_text = format!("\u{feff}{text}");
        let src = SourceFile::new("s.yaml", bom_text.as_bytes().to_vec(), None);
        let bom = parse(&src, Options::default());
        assert!(bom.issues.is_empty(), "{text:?}: {:?}", bom.issues);
        assert_eq!(bom.nodes.len(), plain.nodes.len(), "{text:?}");
        let slow = events(&src, &bom_text, Options::default());
        assert!(slow.issues.is_empty(), "{:?}", slow.issues);
        assert_eq!(slow.nodes.len(), plain.nodes.len(), "{text:?}");
    }
}
