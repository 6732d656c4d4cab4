// Package drift detects when the vendor's live responses move away from what
// the team accepted: a field added, removed, retyped, nulled, a new status code,
// a field that stopped being always present. Schemas catch what the vendor
// documented; drift catches what changes under us.
//
// # Shapes
//
// A Shape summarises many responses of one operation without keeping their
// values. For each JSON pointer of the whole response body (envelope included:
// /code, /ok, /data/...) it records the JSON types seen (string, integer,
// number, boolean, object, array, null), how often the pointer was present, and,
// only for enum-like code fields (status, kycStatus, type, *Status, *Type, code,
// bizCode, currency and configured extras), the short code values seen. Array
// items share one pointer segment "*" (/data/accountList/*/balance). Keys are
// escaped as in RFC 6901 (~0 for "~", ~1 for "/"); an object key that is
// literally "*" is indistinguishable from the array wildcard, which is harmless
// for shapes and documented rather than invented around.
//
// # Presence
//
// Presence is relative to the parent, not to the number of responses:
//
//   - a top-level member (/code, /data) is "always" present when Seen equals
//     Shape.Samples;
//   - any deeper member P/k is "always" present when its Seen equals
//     Objects of its parent P, the number of times P was an object. Inside
//     arrays the parent is P/*, whose Objects counts the object items seen, so
//     /data/list/*/price is "always" when every item of every list had a price.
//
// Consequences worth knowing: an empty array, or a parent that was null or
// absent, gives its children no opportunity to appear and therefore never makes
// them "sometimes" nor "removed"; the parent's own drift (became_null,
// type_changed, removed) is what gets reported. Because Seen and Objects add up
// under Merge, "always" survives merging only if it held in every sample: the
// sums are equal exactly when each sample's counts were. "sometimes" needs at
// least two opportunities (0 < Seen < parent count), so became_optional is only
// ever reported when the observation had at least two occurrences of the parent.
// Presence of the wildcard pointers P/* themselves is never judged: an array may
// legitimately be empty. A key repeated inside one JSON object counts once; the
// first occurrence wins.
//
// # Classification
//
// Diff compares an observed shape with the accepted baseline and classifies each
// difference, following oasdiff's practice of keeping the rules as data: each
// difference is a row of Rules (change kind, severity, meaning), the table the
// README's severity table is checked against. Changes to /code, /ok or /fail
// (removed, retyped, nulled or optional), and ok=true with a code the baseline
// never saw on success, are envelope_semantics.
//
// Integer is a subtype of number: an integer where the baseline saw number is not
// drift, a fraction where the baseline only saw integers is type_changed (a
// client holding an int64 breaks). A field the baseline only ever saw as null
// has no known type, so its first concrete type is type_changed with severity
// info rather than a page.
//
// Every difference has a Fingerprint, a hash of operation, pointer, change kind
// and new type that does not depend on map order, run or process, so alerts can
// deduplicate on it.
//
// A run infers the shape of every response of an operation through one
// Tracker, which keeps what inference learnt of the earlier ones (pointers,
// the order of their members) and returns what it derived from the last
// shape while the shape repeats; its answers are Infer's.
//
// # Baselines
//
// Baselines are reviewable files, one per operation, at
// <dir>/<family>/<bizType>.json: the family directory keeps the client, openapi
// and manager families apart even where their bizTypes coincide. Files are
// indented JSON with sorted keys, a fixed field order and a trailing newline, so
// that accepting a run shows up in a pull request as a small readable diff. They
// are written atomically and decoded strictly: unknown keys, unknown types and
// inconsistent counts are errors that name the file.
package drift
