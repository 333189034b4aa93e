package netdb

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"github.com/fwpol/fwpol/policy"
)

// The inventory cache keeps a loaded inventory (devices expanded from their
// globs and hosts files) in one checksummed file per inventory path. It is
// reused only while every input is unchanged: each YAML and hosts file by
// size, modification time, change time and inode; each directory that was
// listed (inventory directories, config globs) by the same fingerprint,
// which changes whenever an entry is added, removed or renamed; and each
// config file named without a glob by its existence and type. Inputs
// changed in the last two seconds are not cached (a change within the
// file system's timestamp granularity could go unseen). The file is
// written to a temporary file and renamed into place; a damaged one fails
// its checksum and is rebuilt.

const (
	invCacheMagic   = "FWPOLI01"
	invCacheVersion = 2
)

// racyWindow: inputs changed this recently are not trusted to show a later
// change in their timestamps (a variable for tests).
var racyWindow = 2 * time.Second

type fingerprint struct {
	size, mtime, ctime int64
	ino                uint64
}

// dependency kinds
const (
	depContent = 'f' // a file read: its fingerprint
	depListing = 'd' // a directory listed: its fingerprint
	depType    = 't' // a path stat'ed: whether it exists and is a regular file
)

type dep struct {
	kind byte
	path string
	fp   fingerprint
	// for depType
	exists, regular bool
}

// recorder collects what a load read; nil records nothing.
type recorder struct {
	deps []dep
	// uncacheable is set when the load read something the cache cannot
	// watch (a glob with wildcards in a directory name).
	uncacheable bool
}

func (r *recorder) stat(kind byte, path string) {
	if r == nil || r.uncacheable {
		return
	}
	st, err := os.Stat(path)
	if err != nil {
		r.uncacheable = true // the read that follows fails, or races
		return
	}
	r.deps = append(r.deps, dep{kind: kind, path: path, fp: fingerprintOf(st)})
}

func (r *recorder) typ(path string) {
	if r == nil {
		return
	}
	st, err := os.Stat(path)
	r.deps = append(r.deps, dep{kind: depType, path: path, exists: err == nil, regular: err == nil && st.Mode().IsRegular()})
}

func (d dep) fresh() bool {
	st, err := os.Stat(d.path)
	if d.kind == depType {
		return (err == nil) == d.exists && (err == nil && st.Mode().IsRegular()) == d.regular
	}
	return err == nil && fingerprintOf(st) == d.fp
}

func cachePath(dir, path string, opt Options) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	h := sha256.New()
	io.WriteString(h, abs+"\x00"+strings.Join(opt.KnownVendors, ",")+"\x00")
	if opt.DeviceName != nil {
		io.WriteString(h, "devicename")
	}
	return filepath.Join(dir, "inventory-"+hex.EncodeToString(h.Sum(nil)[:12])+".cache")
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// readCache returns the cached inventory when every input is unchanged.
func readCache(file, path string) *Inventory {
	data, err := os.ReadFile(file)
	if err != nil || len(data) < len(invCacheMagic)+4 || string(data[:len(invCacheMagic)]) != invCacheMagic {
		return nil
	}
	body := data[len(invCacheMagic)+4:]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(data[len(invCacheMagic):]) {
		return nil
	}
	d := &decoder{b: body}
	if d.uvarint() != invCacheVersion || d.str() != path {
		return nil
	}
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		dp := dep{kind: d.byte(), path: d.str()}
		if dp.kind == depType {
			dp.exists, dp.regular = d.bool(), d.bool()
		} else {
			dp.fp = d.fp()
		}
		if d.err != nil || !dp.fresh() {
			return nil
		}
	}
	inv := d.inventory()
	if d.err != nil || len(d.b) != 0 {
		return nil
	}
	return inv
}

// writeCache installs the inventory atomically, unless an input changed
// too recently to be trusted.
func writeCache(file, path string, inv *Inventory, rec *recorder) error {
	now := time.Now().UnixNano()
	for _, d := range rec.deps {
		if d.kind != depType && (now-d.fp.mtime < int64(racyWindow) || now-d.fp.ctime < int64(racyWindow)) {
			return nil
		}
	}
	e := &encoder{}
	e.uvarint(invCacheVersion)
	e.str(path)
	e.uvarint(uint64(len(rec.deps)))
	for _, d := range rec.deps {
		e.b = append(e.b, d.kind)
		e.str(d.path)
		if d.kind == depType {
			e.bool(d.exists)
			e.bool(d.regular)
		} else {
			e.fp(d.fp)
		}
	}
	e.inventory(inv)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".inventory-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	var hdr [4]byte
	binary.LittleEndian.PutUint32(hdr[:], crc32.Checksum(e.b, crcTable))
	w.WriteString(invCacheMagic)
	w.Write(hdr[:])
	w.Write(e.b)
	// No fsync: a file cut short by a crash fails its checksum.
	if err := errors.Join(w.Flush(), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)      { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *encoder) str(s string) { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}
func (e *encoder) fp(f fingerprint) {
	e.int(f.size)
	e.int(f.mtime)
	e.int(f.ctime)
	e.uvarint(f.ino)
}
func (e *encoder) pos(p policy.Pos) {
	e.str(p.File)
	e.int(int64(p.Line))
	e.int(int64(p.Col))
}
func (e *encoder) addr(a netip.Addr) {
	b, _ := a.MarshalBinary() // 0, 4 or 16 bytes (+zone)
	e.str(string(b))
}
func (e *encoder) prefixes(ps []netip.Prefix) {
	e.uvarint(uint64(len(ps)))
	for _, p := range ps {
		e.addr(p.Addr())
		e.int(int64(p.Bits()))
	}
}

func (e *encoder) inventory(inv *Inventory) {
	e.str(inv.Path)
	e.str(inv.Dir)
	e.uvarint(uint64(len(inv.Sites)))
	for _, s := range inv.Sites {
		e.str(s.Name)
		e.str(s.Description)
		e.prefixes(s.Ranges)
		e.prefixes(s.Infrastructure)
		e.strs(s.Path)
		e.pos(s.Pos)
	}
	e.uvarint(uint64(len(inv.Protected)))
	for _, p := range inv.Protected {
		e.prefixes([]netip.Prefix{p.Prefix})
		e.str(p.Reason)
		e.pos(p.Pos)
	}
	e.strs(inv.PathRoles)
	e.uvarint(uint64(len(inv.Devices)))
	for _, d := range inv.Devices {
		e.str(d.Name)
		e.str(d.Site)
		e.str(d.Role)
		e.str(d.Vendor)
		e.addr(d.Mgmt)
		e.uvarint(uint64(len(d.Addresses)))
		for _, a := range d.Addresses {
			e.addr(a)
		}
		e.strs(d.Tags)
		e.str(d.Config)
		e.strs(d.Files)
		e.bool(d.Transport != nil)
		if t := d.Transport; t != nil {
			e.str(t.Protocol)
			e.int(int64(t.Port))
			e.str(t.User)
			e.str(t.KeyFile)
			e.str(t.KnownHosts)
			e.int(int64(t.Timeout))
		}
		e.pos(d.Pos)
	}
}

var errCorrupt = errors.New("corrupt inventory cache")

// decoder reads what encoder wrote. Strings share the decoded buffer (it is
// never modified), so decoding allocates little.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err = errCorrupt; d.b = nil }

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int32() int {
	v := d.int()
	if v > math.MaxInt32 || v < math.MinInt32 {
		d.fail()
		return 0
	}
	return int(v)
}

// count reads a length and rejects ones the remaining bytes cannot hold.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bool() bool { return d.byte() == 1 }

func (d *decoder) str() string {
	n := d.count()
	if n == 0 {
		return ""
	}
	s := unsafe.String(&d.b[0], n)
	d.b = d.b[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *decoder) fp() fingerprint {
	return fingerprint{size: d.int(), mtime: d.int(), ctime: d.int(), ino: d.uvarint()}
}

func (d *decoder) pos() policy.Pos {
	return policy.Pos{File: d.str(), Line: d.int32(), Col: d.int32()}
}

func (d *decoder) addr() netip.Addr {
	var a netip.Addr
	n := d.count()
	switch n {
	case 0:
	case 4:
		a = netip.AddrFrom4([4]byte(d.b[:4]))
	case 16:
		a = netip.AddrFrom16([16]byte(d.b[:16]))
	default:
		if err := a.UnmarshalBinary(d.b[:n]); err != nil {
			d.fail()
			return netip.Addr{}
		}
	}
	d.b = d.b[n:]
	return a
}

func (d *decoder) prefixes() []netip.Prefix {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]netip.Prefix, n)
	for i := range out {
		a := d.addr()
		out[i] = netip.PrefixFrom(a, d.int32())
	}
	return out
}

func (d *decoder) inventory() *Inventory {
	inv := &Inventory{Path: d.str(), Dir: d.str()}
	ns := d.count()
	inv.siteByName = make(map[string]*Site, ns)
	for i := 0; i < ns && d.err == nil; i++ {
		s := &Site{Name: d.str(), Description: d.str()}
		s.Ranges = d.prefixes()
		s.Infrastructure = d.prefixes()
		s.Path = d.strs()
		s.Pos = d.pos()
		inv.Sites = append(inv.Sites, s)
		inv.siteByName[s.Name] = s
	}
	np := d.count()
	for i := 0; i < np && d.err == nil; i++ {
		var p Protected
		if ps := d.prefixes(); len(ps) == 1 {
			p.Prefix = ps[0]
		} else {
			d.fail()
		}
		p.Reason = d.str()
		p.Pos = d.pos()
		inv.Protected = append(inv.Protected, p)
	}
	inv.PathRoles = d.strs()
	nd := d.count()
	// one backing array for every device: 37,000 hosts decode fast
	devs := make([]Device, nd)
	inv.Devices = make([]*Device, 0, nd)
	inv.deviceByName = make(map[string]*Device, nd)
	for i := 0; i < nd && d.err == nil; i++ {
		dv := &devs[i]
		dv.Name, dv.Site, dv.Role, dv.Vendor = d.str(), d.str(), d.str(), d.str()
		dv.Mgmt = d.addr()
		if n := d.count(); n > 0 {
			dv.Addresses = make([]netip.Addr, n)
			for k := range dv.Addresses {
				dv.Addresses[k] = d.addr()
			}
		}
		dv.Tags = d.strs()
		dv.Config = d.str()
		dv.Files = d.strs()
		if d.bool() {
			t := &Transport{Protocol: d.str(), Port: d.int32(), User: d.str(), KeyFile: d.str(), KnownHosts: d.str()}
			t.Timeout = time.Duration(d.int())
			dv.Transport = t
		}
		dv.Pos = d.pos()
		inv.Devices = append(inv.Devices, dv)
		inv.deviceByName[dv.Name] = dv
	}
	if d.err != nil {
		return nil
	}
	return inv
}
