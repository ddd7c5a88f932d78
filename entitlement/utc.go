package entitlement

import (
	"reflect"
	"sync"
	"time"
)

// The ledger keeps times as seconds since the epoch, which the CBOR decoder turns into times in
// the process's local zone. Every time the ledger returns is in UTC instead, whatever the
// machine's zone, so that calendar arithmetic on them (a grace period's month ends, an expiry
// date) does not depend on where the server runs. toUTC converts the times in a decoded record;
// what to visit is worked out once per type.

var (
	timeType  = reflect.TypeFor[time.Time]()
	utcPlans  sync.Map // reflect.Type → utcFunc (nil: the type holds no time)
	noUTCPlan utcFunc  = nil
)

type utcFunc func(reflect.Value)

// toUTC converts every time.Time reachable from the pointer v (struct fields, slices, arrays,
// pointers) to UTC.
func toUTC(v any) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return
	}
	if f := utcPlan(rv.Type().Elem(), 0); f != nil {
		f(rv.Elem())
	}
}

func utcPlan(t reflect.Type, depth int) utcFunc {
	if p, ok := utcPlans.Load(t); ok {
		return p.(utcFunc)
	}
	f := buildUTCPlan(t, depth)
	utcPlans.Store(t, f)
	return f
}

func buildUTCPlan(t reflect.Type, depth int) utcFunc {
	if depth > 8 { // deeper than any record nests; a recursive type ends here
		return noUTCPlan
	}
	switch {
	case t == timeType:
		return func(v reflect.Value) {
			if v.CanAddr() {
				// Through a pointer: boxing the time in an interface would allocate twice per
				// field, and a record decodes many times per operation.
				t := v.Addr().Interface().(*time.Time)
				*t = t.UTC()
			} else if v.CanSet() {
				v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
			}
		}
	case t.Kind() == reflect.Pointer:
		elem := utcPlan(t.Elem(), depth+1)
		if elem == nil {
			return nil
		}
		return func(v reflect.Value) {
			if !v.IsNil() {
				elem(v.Elem())
			}
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		elem := utcPlan(t.Elem(), depth+1)
		if elem == nil {
			return nil
		}
		return func(v reflect.Value) {
			for i := range v.Len() {
				elem(v.Index(i))
			}
		}
	case t.Kind() == reflect.Struct:
		type field struct {
			i int
			f utcFunc
		}
		var fields []field
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			if f := utcPlan(sf.Type, depth+1); f != nil {
				fields = append(fields, field{i, f})
			}
		}
		if len(fields) == 0 {
			return nil
		}
		return func(v reflect.Value) {
			for _, fl := range fields {
				fl.f(v.Field(fl.i))
			}
		}
	}
	return nil
}
