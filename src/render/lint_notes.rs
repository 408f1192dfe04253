//! The lint stage's notes in words: what is worth knowing and is not a finding (the base
//! rules skipped and why, the configuration's weakenings, the approved deletions, what a
//! rule's cap left out, the pre-existing findings), worded from the stage's data, for every
//! renderer and for the document's version-1 `notes`.

use crate::results::{BaseSkipped, Lint};

/// The notes, in order. A document that stores them (a document read back) keeps its own.
pub fn words(l: &Lint) -> Vec<String> {
    if !l.notes.is_empty() {
        return l.notes.clone();
    }
    let mut notes = Vec::new();
    match &l.base_skipped {
        Some(BaseSkipped::NotGit) => notes.push("not a git repository: rules that compare with the base were skipped".to_string()),
        Some(BaseSkipped::NoBase { why }) => {
            notes.push(format!("no base to compare with ({why}): rules that compare with the base were skipped"))
        }
        None => {}
    }
    let rel = l.config_file.as_deref().unwrap_or(crate::config::FILE_NAME);
    if let Some(why) = &l.config_not_compared {
        notes.push(format!("`{rel}` on the base was not compared with this one ({why})"));
    }
    for w in &l.config_weakened {
        notes.push(format!("`{rel}` weakens the lint against the base: `{}` is `{}` here, `{}` on the base", w.key, w.head, w.base));
    }
    for a in &l.approved {
        let why = a.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
        notes.push(format!("approved: {} ({}:{}{why})", a.change, a.file, a.line));
    }
    for o in &l.omitted {
        let shown = l.findings.iter().filter(|f| f.rule == o.rule && f.file == o.file).count();
        notes.push(format!(
            "`{}`: {} more {} in {} left out ({shown} shown); fix those and run again to see the rest",
            o.rule,
            o.count,
            if o.count == 1 { "finding" } else { "findings" },
            o.file
        ));
    }
    if !l.pre_existing.is_empty() {
        let n = l.pre_existing.len();
        notes.push(format!(
            "{n} {} in migrations unchanged since the base {} pre-existing: listed, not counted, never failing the run (`--all` or `[lint] all = true` judges them)",
            if n == 1 { "finding" } else { "findings" },
            if n == 1 { "is" } else { "are" },
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Omitted;

    #[test]
    fn notes_are_worded_from_the_data_in_order() {
        let mut l = Lint::new(vec![], vec![], vec![], Default::default(), 3);
        l.base_skipped = Some(BaseSkipped::NoBase { why: "no origin/main".into() });
        l.omitted = vec![Omitted { rule: "snapshot/schema".into(), severity: crate::finding::Severity::Error, file: "s.yaml".into(), count: 1 }];
        assert_eq!(
            words(&l),
            [
                "no base to compare with (no origin/main): rules that compare with the base were skipped",
                "`snapshot/schema`: 1 more finding in s.yaml left out (0 shown); fix those and run again to see the rest",
            ]
        );
        // A document that stores its notes keeps them.
        l.notes = vec!["as stored".into()];
        assert_eq!(words(&l), ["as stored"]);
    }
}
