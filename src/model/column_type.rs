//! What a field's type change does to the values already in its column:
//! the one classification `trm-ci diff`, `snapshot/destructive-change`, the
//! PR comment and the upgrade drill all read (through
//! [`crate::model::schema_diff`]).
//!
//! A field has a Directus type (`string`, `bigInteger`, …) and, on
//! PostgreSQL, a column type: the snapshot's `schema.data_type` with
//! `max_length`, `numeric_precision` and `numeric_scale`, or when those are
//! absent the type Directus 11.17.4 creates for the Directus type
//! (`@directus/api` `services/fields` → knex: `string` is
//! `character varying(255)`, `dateTime` is `timestamp without time zone`, …).
//! `schema apply` changes a column with `ALTER TABLE … ALTER COLUMN … TYPE`,
//! which converts every stored value (PostgreSQL, "ALTER TABLE": *the
//! column's existing values are converted by … an assignment cast from old
//! to new type*). The change is **safe** when every value of the old type
//! converts to the same value of the new one (varchar(n) → varchar(m ≥ n) or
//! text, integer → bigint or numeric, real → double precision, numeric with
//! no fewer integer or fractional digits, uuid → text, date → timestamp) and
//! **destructive** otherwise: narrowing (a value too long or too large makes
//! the whole statement fail, a numeric scale rounds) or a change of family
//! (text → integer, boolean → text, timestamp ↔ timestamptz, …), whose
//! values may not convert or change meaning.

/// A column type as PostgreSQL sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnType {
    /// PostgreSQL's name, lower case (`character varying`, `integer`, …).
    pub name: String,
    /// `max_length` of a character type (None: unbounded).
    pub length: Option<u64>,
    /// `numeric_precision` / `numeric_scale` of a numeric.
    pub precision: Option<u64>,
    pub scale: Option<u64>,
}

impl ColumnType {
    /// The column Directus creates for a Directus type (None: alias,
    /// unknown, or a type without a fixed column such as geometry).
    pub fn of_directus_type(t: &str) -> Option<ColumnType> {
        let (name, length, precision, scale) = match t {
            "string" | "hash" => ("character varying", Some(255), None, None),
            "text" | "csv" => ("text", None, None, None),
            "integer" => ("integer", None, None, None),
            "bigInteger" => ("bigint", None, None, None),
            "float" => ("real", None, None, None),
            "decimal" => ("numeric", None, Some(10), Some(5)),
            "boolean" => ("boolean", None, None, None),
            "date" => ("date", None, None, None),
            "dateTime" => ("timestamp without time zone", None, None, None),
            "timestamp" => ("timestamp with time zone", None, None, None),
            "time" => ("time without time zone", None, None, None),
            "json" => ("json", None, None, None),
            "uuid" => ("uuid", None, None, None),
            "binary" => ("bytea", None, None, None),
            _ => return None,
        };
        Some(ColumnType { name: name.into(), length, precision, scale })
    }

    /// The column the snapshot's `schema` describes, from `data_type` (as
    /// PostgreSQL's `information_schema` names it) and its sizes.
    pub fn from_schema(data_type: &str, length: Option<u64>, precision: Option<u64>, scale: Option<u64>) -> Option<ColumnType> {
        let name = match data_type.trim().to_ascii_lowercase().as_str() {
            "character varying" | "varchar" => "character varying",
            "character" | "char" | "bpchar" => "character",
            "text" => "text",
            "smallint" | "int2" => "smallint",
            "integer" | "int" | "int4" => "integer",
            "bigint" | "int8" => "bigint",
            "real" | "float4" => "real",
            "double precision" | "float8" => "double precision",
            "numeric" | "decimal" => "numeric",
            "boolean" | "bool" => "boolean",
            "date" => "date",
            "timestamp without time zone" | "timestamp" => "timestamp without time zone",
            "timestamp with time zone" | "timestamptz" => "timestamp with time zone",
            "time without time zone" | "time" => "time without time zone",
            "time with time zone" | "timetz" => "time with time zone",
            "json" => "json",
            "jsonb" => "jsonb",
            "uuid" => "uuid",
            "bytea" => "bytea",
            _ => return None,
        };
        let numeric = name == "numeric";
        let character = matches!(name, "character varying" | "character");
        Some(ColumnType {
            name: name.into(),
            length: if character { length } else { None },
            precision: if numeric { precision } else { None },
            scale: if numeric { scale.or(precision.map(|_| 0)) } else { None },
        })
    }

    /// Short, as in SQL: `varchar(255)`, `numeric(10,5)`, `timestamptz`.
    pub fn sql(&self) -> String {
        let short = match self.name.as_str() {
            "character varying" => "varchar",
            "character" => "char",
            "timestamp without time zone" => "timestamp",
            "timestamp with time zone" => "timestamptz",
            "time without time zone" => "time",
            "time with time zone" => "timetz",
            other => other,
        };
        match (self.length, self.precision, self.scale) {
            (Some(n), _, _) => format!("{short}({n})"),
            (None, Some(p), Some(s)) => format!("{short}({p},{s})"),
            (None, Some(p), None) => format!("{short}({p})"),
            _ => short.to_string(),
        }
    }

    /// Integer digits a value of this type can hold (None: unbounded or
    /// not a number).
    fn integer_digits(&self) -> Option<u64> {
        match self.name.as_str() {
            "smallint" => Some(5),
            "integer" => Some(10),
            "bigint" => Some(19),
            "numeric" => self.precision.map(|p| p.saturating_sub(self.scale.unwrap_or(0))),
            _ => None,
        }
    }
}

/// What a type change does to the existing values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The same column type: only Directus's meaning changes.
    Same,
    /// Every value converts to the same value.
    Safe,
    /// Some values can make the change fail, or are rounded or reinterpreted:
    /// the reason, in words.
    Destructive(String),
}

fn family(name: &str) -> &'static str {
    match name {
        "character varying" | "character" | "text" => "text",
        "smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision" => "number",
        "date" | "timestamp without time zone" | "timestamp with time zone" => "datetime",
        "time without time zone" | "time with time zone" => "time",
        "json" | "jsonb" => "json",
        "boolean" => "boolean",
        "uuid" => "uuid",
        "bytea" => "bytea",
        _ => "other",
    }
}

/// What `ALTER COLUMN … TYPE to` does to the values of a `from` column.
pub fn classify(from: &ColumnType, to: &ColumnType) -> Verdict {
    if from == to {
        return Verdict::Same;
    }
    let (f, t) = (from.name.as_str(), to.name.as_str());
    let changes_family = || Verdict::Destructive("existing values may not convert".into());
    match (family(f), family(t)) {
        ("text", "text") => {
            // char(n) pads with blanks: converting to or from it changes values.
            if (f == "character") != (t == "character") {
                return Verdict::Destructive(format!("{} → {} changes trailing blanks", from.sql(), to.sql()));
            }
            let limit = |c: &ColumnType| if c.name == "text" { None } else { c.length };
            match (limit(from), limit(to)) {
                (_, None) => Verdict::Safe,
                (Some(a), Some(b)) if b >= a => Verdict::Safe,
                _ => Verdict::Destructive(format!(
                    "narrows {} to {}: the change fails if a stored value is longer",
                    from.sql(),
                    to.sql()
                )),
            }
        }
        ("number", "number") => {
            let float = |n: &str| matches!(n, "real" | "double precision");
            match (float(f), float(t)) {
                (true, true) => {
                    if t == "double precision" {
                        Verdict::Safe
                    } else {
                        Verdict::Destructive(format!("{} → {} rounds values to 6 significant digits", from.sql(), to.sql()))
                    }
                }
                (true, false) => Verdict::Destructive(format!("{} → {} rounds fractions and fails on out-of-range values", from.sql(), to.sql())),
                (false, true) => {
                    // double precision holds integers exactly up to 2^53 (15 digits).
                    let exact = if t == "double precision" { 15 } else { 6 };
                    match from.integer_digits() {
                        Some(d) if d <= exact && from.scale.unwrap_or(0) == 0 => Verdict::Safe,
                        _ => Verdict::Destructive(format!("{} → {} loses precision", from.sql(), to.sql())),
                    }
                }
                (false, false) => {
                    let scale = |c: &ColumnType| if c.name == "numeric" { c.scale.or(if c.precision.is_none() { None } else { Some(0) }) } else { Some(0) };
                    // Unbounded numeric holds any value exactly.
                    if t == "numeric" && to.precision.is_none() {
                        return Verdict::Safe;
                    }
                    let fraction_ok = match (scale(from), scale(to)) {
                        (Some(a), Some(b)) => b >= a,
                        (None, _) => false, // unbounded numeric may hold any fraction
                        (Some(_), None) => true,
                    };
                    let digits_ok = match (from.integer_digits(), to.integer_digits()) {
                        (Some(a), Some(b)) => b >= a,
                        (None, Some(_)) => false,
                        (_, None) => true,
                    };
                    if fraction_ok && digits_ok {
                        Verdict::Safe
                    } else if !fraction_ok {
                        Verdict::Destructive(format!("{} → {} rounds the fractional digits", from.sql(), to.sql()))
                    } else {
                        Verdict::Destructive(format!(
                            "narrows {} to {}: the change fails if a stored value is too large",
                            from.sql(),
                            to.sql()
                        ))
                    }
                }
            }
        }
        ("datetime", "datetime") => match (f, t) {
            ("date", _) if t != "date" => Verdict::Safe,
            (_, "date") => Verdict::Destructive(format!("{} → date drops the time of day", from.sql())),
            _ => Verdict::Destructive(format!(
                "{} → {}: existing values are reinterpreted in the server's TimeZone",
                from.sql(),
                to.sql()
            )),
        },
        ("json", "json") => {
            if t == "jsonb" {
                Verdict::Safe
            } else {
                Verdict::Destructive("jsonb → json rewrites every value (key order and whitespace are lost already)".into())
            }
        }
        ("uuid", "text") => match to.length {
            Some(n) if to.name != "text" && n < 36 => Verdict::Destructive(format!(
                "narrows uuid to {}: a uuid is 36 characters",
                to.sql()
            )),
            _ if to.name == "character" => changes_family(),
            _ => Verdict::Safe,
        },
        _ => changes_family(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(t: &str) -> ColumnType {
        ColumnType::of_directus_type(t).unwrap()
    }
    fn varchar(n: Option<u64>) -> ColumnType {
        ColumnType::from_schema("character varying", n, None, None).unwrap()
    }
    fn numeric(p: u64, s: u64) -> ColumnType {
        ColumnType::from_schema("numeric", None, Some(p), Some(s)).unwrap()
    }
    fn destructive(v: Verdict) -> bool {
        matches!(v, Verdict::Destructive(_))
    }

    #[test]
    fn widening_is_safe() {
        assert_eq!(classify(&col("string"), &col("text")), Verdict::Safe);
        assert_eq!(classify(&varchar(Some(32)), &varchar(Some(255))), Verdict::Safe);
        assert_eq!(classify(&varchar(Some(32)), &varchar(None)), Verdict::Safe);
        assert_eq!(classify(&col("integer"), &col("bigInteger")), Verdict::Safe);
        assert_eq!(classify(&col("integer"), &numeric(15, 2)), Verdict::Safe);
    }

    #[test]
    fn narrowing_and_cross_family_are_destructive() {
        assert!(destructive(classify(&col("text"), &col("string"))));
        assert!(destructive(classify(&varchar(Some(255)), &varchar(Some(8)))));
        assert!(destructive(classify(&col("bigInteger"), &col("integer"))));
        assert!(destructive(classify(&col("string"), &col("integer"))));
        assert!(destructive(classify(&col("integer"), &col("string"))));
        assert!(destructive(classify(&col("boolean"), &col("text"))));
        assert!(destructive(classify(&col("dateTime"), &col("timestamp"))));
        assert!(destructive(classify(&numeric(12, 2), &numeric(12, 0))));
        assert!(destructive(classify(&numeric(12, 2), &numeric(6, 2))));
        assert!(destructive(classify(&col("integer"), &col("float"))));
        // Directus's default decimal is numeric(10,5): 99999.99999 at most.
        assert!(destructive(classify(&col("integer"), &col("decimal"))));
    }

    #[test]
    fn numeric_digits_and_the_same_column() {
        assert_eq!(classify(&numeric(10, 2), &numeric(12, 2)), Verdict::Safe);
        assert_eq!(classify(&numeric(10, 2), &numeric(12, 4)), Verdict::Safe);
        assert_eq!(classify(&col("hash"), &col("string")), Verdict::Same);
        assert_eq!(classify(&col("uuid"), &col("string")), Verdict::Safe);
        assert!(destructive(classify(&col("uuid"), &varchar(Some(16)))));
        assert_eq!(classify(&col("date"), &col("dateTime")), Verdict::Safe);
        assert_eq!(ColumnType::from_schema("NUMERIC", None, Some(12), Some(2)).unwrap().sql(), "numeric(12,2)");
        assert_eq!(varchar(Some(255)).sql(), "varchar(255)");
        assert!(ColumnType::from_schema("x", None, None, None).is_none());
    }
}
