package specdiff

import "strings"

// The questions the monitor asks a spec about the responses it has seen
// live (runner/monitor compares a new spec version with the shapes its
// suite runs recorded). Pointers are those of the flattened response body
// and of runner/drift's shapes alike: /data/list/*/source.

// OperationFor returns the key ("POST /global/<bizType>") of the operation
// a live response of bizType answered: the one whose path is bizType under
// the family's prefixes (/global/, /login/, /auth/, ... or none), or false.
func (s *Spec) OperationFor(bizType string) (string, bool) {
	var best string
	for key := range s.ops {
		_, path, _ := strings.Cut(key, " ")
		if path == "/"+bizType || strings.HasSuffix(path, "/"+bizType) {
			// The shortest path wins: /global/x over /h/some/global/x.
			if best == "" || len(key) < len(best) {
				best = key
			}
		}
	}
	return best, best != ""
}

// DocumentsResponse reports whether op's success response documents the
// field at ptr.
func (s *Spec) DocumentsResponse(op, ptr string) bool {
	o, ok := s.ops[op]
	if !ok {
		return false
	}
	_, ok = o.response[ptr]
	return ok
}

// DataDocumented reports whether op's response documents any field inside
// data: a spec that leaves data open (`{}`) says nothing about its fields,
// so a live field is not "undocumented" against it in any useful sense.
func (s *Spec) DataDocumented(op string) bool {
	o, ok := s.ops[op]
	if !ok {
		return false
	}
	for ptr := range o.response {
		if strings.HasPrefix(ptr, "/data/") {
			return true
		}
	}
	return false
}
