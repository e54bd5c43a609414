// Package contractdiff names the changes between two versions of the
// contracts that would break a client written against the older: an
// OpenAPI 3.1 document's operations, parameters, request bodies, answers
// and webhooks, and the event contracts' protobuf descriptors. What a
// client can ignore (a new operation, an optional request field, a new
// answer field) is not named. It does what buf breaking and oasdiff do,
// for the parts of those formats this system uses.
package contractdiff

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// OpenAPI returns the breaking changes from the document was to now.
func OpenAPI(was, now []byte) ([]string, error) {
	var o, n map[string]any
	if err := json.Unmarshal(was, &o); err != nil {
		return nil, fmt.Errorf("the old document: %w", err)
	}
	if err := json.Unmarshal(now, &n); err != nil {
		return nil, fmt.Errorf("the new document: %w", err)
	}
	d := &docs{old: o, new: n}
	for _, p := range keys(obj(o["paths"])) {
		for _, m := range keys(obj(obj(o["paths"])[p])) {
			d.operation(strings.ToUpper(m)+" "+p, obj(obj(obj(o["paths"])[p])[m]), obj(obj(obj(n["paths"])[p])[m]))
		}
	}
	for _, w := range keys(obj(o["webhooks"])) {
		for _, m := range keys(obj(obj(o["webhooks"])[w])) {
			oo, no := obj(obj(obj(o["webhooks"])[w])[m]), obj(obj(obj(n["webhooks"])[w])[m])
			where := "webhook " + w
			if no == nil {
				d.add(where, "removed")
				continue
			}
			// What a webhook carries is written by the API and read by the
			// client: held to the rules of an answer.
			d.schema(where+" payload", body(oo["requestBody"]), body(no["requestBody"]), answer)
		}
	}
	sort.Strings(d.breaks)
	return d.breaks, nil
}

type direction int

const (
	request direction = iota // the client writes, the API reads
	answer                   // the API writes, the client reads
)

type docs struct {
	old, new map[string]any
	breaks   []string
	seen     map[string]bool
}

func (d *docs) add(where, format string, args ...any) {
	d.breaks = append(d.breaks, where+": "+fmt.Sprintf(format, args...))
}

func (d *docs) operation(where string, o, n map[string]any) {
	if n == nil {
		d.add(where, "removed")
		return
	}
	oldParams, newParams := params(o), params(n)
	for _, k := range keys(newParams) {
		np := newParams[k]
		op, had := oldParams[k]
		if np["required"] == true && (!had || op["required"] != true) {
			d.add(where, "parameter %s is now required", k)
		}
		if had {
			d.schema(where+" parameter "+k, obj(op["schema"]), obj(np["schema"]), request)
		}
	}
	if ob, nb := obj(o["requestBody"]), obj(n["requestBody"]); ob != nil || nb != nil {
		switch {
		case nb == nil:
		case ob == nil:
			if nb["required"] == true {
				d.add(where, "now requires a body")
			}
		default:
			for _, ct := range keys(obj(ob["content"])) {
				ns := obj(obj(nb["content"])[ct])
				if ns == nil {
					d.add(where, "no longer takes %s", ct)
					continue
				}
				d.schema(where+" request "+ct, obj(obj(obj(ob["content"])[ct])["schema"]), obj(ns["schema"]), request)
			}
		}
	}
	for _, status := range keys(obj(o["responses"])) {
		if !strings.HasPrefix(status, "2") {
			continue
		}
		or, nr := obj(obj(o["responses"])[status]), obj(obj(n["responses"])[status])
		if nr == nil {
			d.add(where, "no longer answers %s", status)
			continue
		}
		for _, ct := range keys(obj(or["content"])) {
			nc := obj(obj(nr["content"])[ct])
			if nc == nil {
				d.add(where, "%s no longer comes as %s", status, ct)
				continue
			}
			d.schema(fmt.Sprintf("%s answer %s %s", where, status, ct), obj(obj(obj(or["content"])[ct])["schema"]), obj(nc["schema"]), answer)
		}
	}
}

func params(op map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, p := range list(op["parameters"]) {
		p := obj(p)
		out[fmt.Sprint(p["in"])+" "+fmt.Sprint(p["name"])] = p
	}
	return out
}

func body(rb any) map[string]any {
	return obj(obj(obj(obj(rb)["content"])["application/json"])["schema"])
}

// deref follows $ref within root.
func deref(root, s map[string]any) (map[string]any, string) {
	ref := ""
	for s != nil {
		r, ok := s["$ref"].(string)
		if !ok {
			break
		}
		ref = r
		s = obj(obj(obj(root["components"])["schemas"])[strings.TrimPrefix(r, "#/components/schemas/")])
	}
	return s, ref
}

// schema compares what a value may be, old and new, at where.
func (d *docs) schema(where string, o, n map[string]any, dir direction) {
	o, oref := deref(d.old, o)
	n, nref := deref(d.new, n)
	if o == nil || n == nil {
		if len(o) > 0 && n == nil {
			d.add(where, "no longer described")
		}
		return
	}
	if oref != "" && nref != "" {
		// A schema named in many places is compared once a direction,
		// which also ends the walk of a schema that holds itself.
		if d.seen == nil {
			d.seen = map[string]bool{}
		}
		key := fmt.Sprint(oref, "|", nref, "|", dir)
		if d.seen[key] {
			return
		}
		d.seen[key] = true
	}
	// A nullable schema is anyOf [s, null]: compare the non-null parts,
	// and whether null is allowed.
	oBase, oNull := nonNull(d.old, o)
	nBase, nNull := nonNull(d.new, n)
	if oBase != nil && nBase != nil && (oBase["anyOf"] != nil || nBase["anyOf"] != nil || oNull || nNull) {
		if dir == request && oNull && !nNull {
			d.add(where, "no longer takes null")
		}
		if dir == answer && nNull && !oNull {
			d.add(where, "may now be null")
		}
		o, n = oBase, nBase
		o, _ = deref(d.old, o)
		n, _ = deref(d.new, n)
	}
	ot, nt := types(o), types(n)
	if len(ot) > 0 && len(nt) > 0 {
		switch dir {
		case request:
			for _, t := range ot {
				if !slices.Contains(nt, t) && !(t == "integer" && slices.Contains(nt, "number")) {
					d.add(where, "no longer takes %s", t)
				}
			}
		case answer:
			for _, t := range nt {
				if !slices.Contains(ot, t) && !(t == "integer" && slices.Contains(ot, "number")) {
					d.add(where, "may now be %s", t)
				}
			}
		}
	} else if len(ot) == 0 && len(nt) > 0 && dir == request {
		d.add(where, "now takes only %s", strings.Join(nt, " or "))
	}
	if dir == request {
		oe, ne := list(o["enum"]), list(n["enum"])
		if ne != nil {
			if oe == nil {
				d.add(where, "now takes only %v", ne)
			}
			for _, v := range oe {
				if !slices.Contains(ne, v) {
					d.add(where, "no longer takes %v", v)
				}
			}
		}
		for _, k := range []string{"minLength", "minimum", "minItems"} {
			if nv, ok := n[k].(float64); ok {
				if ov, had := o[k].(float64); !had || nv > ov {
					d.add(where, "%s is now %v", k, nv)
				}
			}
		}
		for _, k := range []string{"maxLength", "maximum", "maxItems"} {
			if nv, ok := n[k].(float64); ok {
				if ov, had := o[k].(float64); !had || nv < ov {
					d.add(where, "%s is now %v", k, nv)
				}
			}
		}
		for _, k := range []string{"format", "pattern"} {
			if nv, ok := n[k].(string); ok && nv != o[k] {
				d.add(where, "%s is now %s", k, nv)
			}
		}
	}
	oreq, nreq := strs(o["required"]), strs(n["required"])
	oprops, nprops := obj(o["properties"]), obj(n["properties"])
	switch dir {
	case request:
		for _, k := range nreq {
			if !slices.Contains(oreq, k) {
				d.add(where, "now requires %s", k)
			}
		}
		if n["additionalProperties"] == false {
			for _, k := range keys(oprops) {
				if _, ok := nprops[k]; !ok {
					d.add(where, "no longer takes %s", k)
				}
			}
		}
	case answer:
		for _, k := range oreq {
			if !slices.Contains(nreq, k) {
				d.add(where, "no longer always has %s", k)
			}
		}
	}
	for _, k := range keys(oprops) {
		if np, ok := nprops[k]; ok {
			d.schema(where+" /"+k, obj(oprops[k]), obj(np), dir)
		}
	}
	if oi, ni := obj(o["items"]), obj(n["items"]); oi != nil && ni != nil {
		d.schema(where+" []", oi, ni, dir)
	}
	if oa, na := obj(o["additionalProperties"]), obj(n["additionalProperties"]); oa != nil && na != nil {
		d.schema(where+" {}", oa, na, dir)
	}
}

// nonNull splits anyOf [s, null] or type [t, "null"] into s and true.
func nonNull(root, s map[string]any) (map[string]any, bool) {
	if alts := list(s["anyOf"]); len(alts) == 2 {
		for i, a := range alts {
			if obj(a)["type"] == "null" {
				return obj(alts[1-i]), true
			}
		}
	}
	if t := list(s["type"]); slices.Contains(t, any("null")) {
		out := map[string]any{}
		for k, v := range s {
			out[k] = v
		}
		var rest []any
		for _, x := range t {
			if x != "null" {
				rest = append(rest, x)
			}
		}
		out["type"] = rest
		return out, true
	}
	return s, false
}

func types(s map[string]any) []string {
	switch t := s["type"].(type) {
	case string:
		return []string{t}
	case []any:
		return strs(t)
	}
	return nil
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func list(v any) []any         { l, _ := v.([]any); return l }

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
