package policy

import (
	"bytes"
	"math/rand"
	"net/netip"
	"reflect"
	"testing"

	"go4.org/netipx"
)

// Changing any single field of a Match (or of its addresses) changes the
// key: a field added to Match without being encoded fails here.
func TestMatchKeyCoversMatch(t *testing.T) {
	r := NewRanges(Range{Lo: 7, Hi: 9})
	set := NewAddrSetFromRanges([]netipx.IPRange{netipx.RangeOfPrefix(netip.MustParsePrefix("10.0.0.0/8"))}, nil)
	base := Match{Src: AnyAddr(), Dst: AnyAddr()}
	baseKey := AppendMatchKey(nil, &base, true)
	variant := func(v reflect.Value) bool {
		switch v.Kind() {
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.String:
			v.SetString("x")
		case reflect.Slice:
			v.Set(reflect.ValueOf([]string{"x"}))
		case reflect.Pointer:
			switch v.Type() {
			case reflect.TypeOf(&r):
				v.Set(reflect.ValueOf(&r))
			case reflect.TypeOf(set):
				v.Set(reflect.ValueOf(set))
			default:
				return false
			}
		default:
			return false
		}
		return true
	}
	mt := reflect.TypeOf(base)
	for i := 0; i < mt.NumField(); i++ {
		f := mt.Field(i)
		if f.Type == reflect.TypeOf(AddrMatch{}) {
			for j := 0; j < f.Type.NumField(); j++ {
				m := base
				if !variant(reflect.ValueOf(&m).Elem().Field(i).Field(j)) {
					t.Fatalf("no test value for %s.%s", f.Name, f.Type.Field(j).Name)
				}
				if bytes.Equal(AppendMatchKey(nil, &m, true), baseKey) {
					t.Errorf("%s.%s is not in the key", f.Name, f.Type.Field(j).Name)
				}
			}
			continue
		}
		m := base
		if !variant(reflect.ValueOf(&m).Elem().Field(i)) {
			t.Fatalf("no test value for field %s (%s)", f.Name, f.Type)
		}
		if bytes.Equal(AppendMatchKey(nil, &m, true), baseKey) {
			t.Errorf("%s is not in the key", f.Name)
		}
	}
}

// Equal keys (without names) mean equal packet sets, and a match's key is
// stable across copies.
func TestMatchKeyEqualMeansSameSet(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	m := NewManager(1 << 14)
	var ms []Match
	for i := 0; i < 400; i++ {
		ms = append(ms, randMatch(rng))
	}
	same := 0
	for i := range ms {
		for j := range ms {
			a, b := &ms[i], &ms[j]
			if !bytes.Equal(AppendMatchKey(nil, a, false), AppendMatchKey(nil, b, false)) {
				continue
			}
			same++
			if !m.MatchSet(a, FamilyAny).Equal(m.MatchSet(b, FamilyAny)) {
				t.Fatalf("equal keys, different sets: %+v vs %+v", a, b)
			}
		}
	}
	if same < len(ms) {
		t.Fatalf("a match's key differs from itself (%d equal pairs)", same)
	}
}
