package drift

import (
	"slices"
	"strings"
)

// A skeleton is the pointers a data schema documents, compiled once per
// Schema: each with its pointer string and what the schema says of it (its
// pointerDoc), and all of them in sorted order. A Tracker
// built on one infers the first response of its operation the way it infers
// the later ones: a documented pointer is reached from its parent by name,
// with no pointer string built, hashed or allocated, and the shape is put in
// sorted order and diffed against the schema without sorting strings or
// walking the schema again. Pointers the schema does not document (and the
// members of map-like objects, whose keys are data) take the general path,
// so the answers are Infer's and Diff's whatever the body holds; the tests
// hold the two paths to each other.
type skeleton struct {
	root   skelNode
	nodes  []*skelNode          // by id
	byPtr  map[string]*skelNode // every node but the root, by pointer
	byRank []*skelNode          // in sorted pointer order
}

// skelNode is one documented pointer.
type skelNode struct {
	id      int
	ptr     string
	members []*skelNode          // the object members the schema names
	names   []string             // members' unescaped names, in the same order
	byName  map[string]*skelNode // members by name, for a node with many
	item    *skelNode            // the items of an array, "/*"
	doc     *pointerDoc          // nil outside /data: the envelope has its own schema

	// enumName is the name that decides whether the pointer's values are
	// recorded (its member name; an array item's is its array's), and
	// enumByName what IsEnumKey says of it.
	enumName   string
	enumByName bool
}

// Bounds on a skeleton: a schema that refers to itself describes pointers
// without end, and a huge one is not worth a node per pointer. Pointers
// beyond them take the general path.
const (
	maxSkeletonNodes = 4096
	maxSkeletonDepth = 24
)

// envelopeMembers are the envelope's members as the vendor documents them:
// the skeleton's top level beside /data.
var envelopeMembers = []string{"bizCode", "code", "fail", "msg", "msgParams", "ok", "tm", "trace"}

// skeleton returns the Schema's skeleton, compiling it on first use.
func (s *Schema) skeleton() *skeleton {
	s.skelOnce.Do(func() { s.skel = buildSkeleton(s) })
	return s.skel
}

func buildSkeleton(s *Schema) *skeleton {
	sk := &skeleton{byPtr: map[string]*skelNode{}}
	sk.root.id = -1
	add := func(parent *skelNode, name, ptr, enumName string, doc *pointerDoc) *skelNode {
		if len(sk.nodes) >= maxSkeletonNodes {
			return nil
		}
		if _, dup := sk.byPtr[ptr]; dup {
			return nil // "*" as a member's name and as an array's items: the items keep it
		}
		n := &skelNode{id: len(sk.nodes), ptr: ptr, doc: doc, enumName: enumName, enumByName: IsEnumKey(enumName)}
		sk.nodes = append(sk.nodes, n)
		sk.byPtr[ptr] = n
		if name != "" {
			parent.members = append(parent.members, n)
			parent.names = append(parent.names, name)
		}
		return n
	}
	for _, name := range envelopeMembers {
		add(&sk.root, name, "/"+name, name, nil)
	}
	data := add(&sk.root, "data", "/data", "data", s.doc("/data", nil))
	var grow func(n *skelNode, name string, depth int)
	grow = func(n *skelNode, name string, depth int) {
		if n == nil || n.doc == nil || n.doc.schemas == nil || depth > maxSkeletonDepth {
			return
		}
		var props []string
		items := false
		for _, sc := range n.doc.schemas {
			for _, m := range s.w.flatten(sc, 0, nil) {
				if pm, ok := m["properties"].(map[string]any); ok {
					for k := range pm {
						props = append(props, k)
					}
				}
				switch m["items"].(type) {
				case map[string]any, bool, []any:
					items = true
				}
			}
		}
		if items {
			p := n.ptr + "/*"
			if c := add(n, "", p, name, s.doc(p, n.doc.schemas)); c != nil {
				n.item = c
				grow(c, name, depth+1)
			}
		}
		slices.Sort(props)
		props = slices.Compact(props)
		for _, k := range props {
			p := n.ptr + "/" + escapeToken(k)
			c := add(n, k, p, k, s.doc(p, n.doc.schemas))
			grow(c, k, depth+1)
		}
	}
	grow(data, "data", 1)
	indexMembers(&sk.root)
	for _, n := range sk.nodes {
		indexMembers(n)
	}
	sk.byRank = slices.Clone(sk.nodes)
	slices.SortFunc(sk.byRank, func(a, b *skelNode) int { return strings.Compare(a.ptr, b.ptr) })
	return sk
}

// indexMembers gives a node with many members a map of them by name; a
// short list is searched in order.
func indexMembers(n *skelNode) {
	if len(n.names) > 8 {
		n.byName = make(map[string]*skelNode, len(n.names))
		for i, name := range n.names {
			n.byName[name] = n.members[i]
		}
	}
}

// member returns n's member of that (unescaped) name, or nil. A member
// named "*" is left to the general path: its pointer is an array item's.
func (n *skelNode) member(name []byte) *skelNode {
	if len(name) == 1 && name[0] == '*' {
		return nil
	}
	if n.byName != nil {
		return n.byName[string(name)] // no allocation: the conversion does not escape
	}
	for i, m := range n.names {
		if m == string(name) {
			return n.members[i]
		}
	}
	return nil
}
