package netdb

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"github.com/fwpol/fwpol/internal/buildid"
	"github.com/fwpol/fwpol/internal/wire"
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
	invCacheMagic = "FWPOLI01"
	// 3: the writing build's ID after the path (another build's cache is
	// not read: inventory expansion may differ)
	invCacheVersion = 3
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
	d := &decoder{wire.Decoder{B: body}}
	if d.Uvarint() != invCacheVersion || d.str() != path || d.str() != buildid.ID() {
		return nil
	}
	n := d.Count()
	for i := 0; i < n && d.Err == nil; i++ {
		dp := dep{kind: d.Byte(), path: d.str()}
		if dp.kind == depType {
			dp.exists, dp.regular = d.Bool(), d.Bool()
		} else {
			dp.fp = d.fp()
		}
		if d.Err != nil || !dp.fresh() {
			return nil
		}
	}
	inv := d.inventory()
	if d.Err != nil || len(d.B) != 0 {
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
	e.Uvarint(invCacheVersion)
	e.str(path)
	e.str(buildid.ID())
	e.Uvarint(uint64(len(rec.deps)))
	for _, d := range rec.deps {
		e.B = append(e.B, d.kind)
		e.str(d.path)
		if d.kind == depType {
			e.Bool(d.exists)
			e.Bool(d.regular)
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
	binary.LittleEndian.PutUint32(hdr[:], crc32.Checksum(e.B, crcTable))
	w.WriteString(invCacheMagic)
	w.Write(hdr[:])
	w.Write(e.B)
	// No fsync: a file cut short by a crash fails its checksum.
	if err := errors.Join(w.Flush(), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

type encoder struct{ wire.Encoder }

func (e *encoder) str(s string) { e.Uvarint(uint64(len(s))); e.B = append(e.B, s...) }
func (e *encoder) strs(ss []string) {
	e.Uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}
func (e *encoder) fp(f fingerprint) {
	e.Varint(f.size)
	e.Varint(f.mtime)
	e.Varint(f.ctime)
	e.Uvarint(f.ino)
}
func (e *encoder) pos(p policy.Pos) {
	e.str(p.File)
	e.Varint(int64(p.Line))
	e.Varint(int64(p.Col))
}
func (e *encoder) addr(a netip.Addr) {
	b, _ := a.MarshalBinary() // 0, 4 or 16 bytes (+zone)
	e.str(string(b))
}
func (e *encoder) prefixes(ps []netip.Prefix) {
	e.Uvarint(uint64(len(ps)))
	for _, p := range ps {
		e.addr(p.Addr())
		e.Varint(int64(p.Bits()))
	}
}

func (e *encoder) inventory(inv *Inventory) {
	e.str(inv.Path)
	e.str(inv.Dir)
	e.Uvarint(uint64(len(inv.Sites)))
	for _, s := range inv.Sites {
		e.str(s.Name)
		e.str(s.Description)
		e.prefixes(s.Ranges)
		e.prefixes(s.Infrastructure)
		e.strs(s.Path)
		e.pos(s.Pos)
	}
	e.Uvarint(uint64(len(inv.Protected)))
	for _, p := range inv.Protected {
		e.prefixes([]netip.Prefix{p.Prefix})
		e.str(p.Reason)
		e.pos(p.Pos)
	}
	e.strs(inv.PathRoles)
	e.Uvarint(uint64(len(inv.Devices)))
	for _, d := range inv.Devices {
		e.str(d.Name)
		e.str(d.Site)
		e.str(d.Role)
		e.str(d.Vendor)
		e.addr(d.Mgmt)
		e.Uvarint(uint64(len(d.Addresses)))
		for _, a := range d.Addresses {
			e.addr(a)
		}
		e.strs(d.Tags)
		e.str(d.Config)
		e.strs(d.Files)
		e.Bool(d.Transport != nil)
		if t := d.Transport; t != nil {
			e.str(t.Protocol)
			e.Varint(int64(t.Port))
			e.str(t.User)
			e.str(t.KeyFile)
			e.str(t.KnownHosts)
			e.Varint(int64(t.Timeout))
		}
		e.pos(d.Pos)
	}
}

// decoder reads what encoder wrote. Strings share the decoded buffer (it is
// never modified), so decoding allocates little.
type decoder struct{ wire.Decoder }

func (d *decoder) str() string {
	n := d.Count()
	if n == 0 {
		return ""
	}
	s := unsafe.String(&d.B[0], n)
	d.B = d.B[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.Count()
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
	return fingerprint{size: d.Varint(), mtime: d.Varint(), ctime: d.Varint(), ino: d.Uvarint()}
}

func (d *decoder) pos() policy.Pos {
	return policy.Pos{File: d.str(), Line: d.Int32(), Col: d.Int32()}
}

func (d *decoder) addr() netip.Addr {
	var a netip.Addr
	n := d.Count()
	switch n {
	case 0:
	case 4:
		a = netip.AddrFrom4([4]byte(d.B[:4]))
	case 16:
		a = netip.AddrFrom16([16]byte(d.B[:16]))
	default:
		if err := a.UnmarshalBinary(d.B[:n]); err != nil {
			d.Fail()
			return netip.Addr{}
		}
	}
	d.B = d.B[n:]
	return a
}

func (d *decoder) prefixes() []netip.Prefix {
	n := d.Count()
	if n == 0 {
		return nil
	}
	out := make([]netip.Prefix, n)
	for i := range out {
		a := d.addr()
		out[i] = netip.PrefixFrom(a, d.Int32())
	}
	return out
}

func (d *decoder) inventory() *Inventory {
	inv := &Inventory{Path: d.str(), Dir: d.str()}
	ns := d.Count()
	inv.siteByName = make(map[string]*Site, ns)
	for i := 0; i < ns && d.Err == nil; i++ {
		s := &Site{Name: d.str(), Description: d.str()}
		s.Ranges = d.prefixes()
		s.Infrastructure = d.prefixes()
		s.Path = d.strs()
		s.Pos = d.pos()
		inv.Sites = append(inv.Sites, s)
		inv.siteByName[s.Name] = s
	}
	np := d.Count()
	for i := 0; i < np && d.Err == nil; i++ {
		var p Protected
		if ps := d.prefixes(); len(ps) == 1 {
			p.Prefix = ps[0]
		} else {
			d.Fail()
		}
		p.Reason = d.str()
		p.Pos = d.pos()
		inv.Protected = append(inv.Protected, p)
	}
	inv.PathRoles = d.strs()
	nd := d.Count()
	// one backing array for every device: 37,000 hosts decode fast
	devs := make([]Device, nd)
	inv.Devices = make([]*Device, 0, nd)
	inv.deviceByName = make(map[string]*Device, nd)
	for i := 0; i < nd && d.Err == nil; i++ {
		dv := &devs[i]
		dv.Name, dv.Site, dv.Role, dv.Vendor = d.str(), d.str(), d.str(), d.str()
		dv.Mgmt = d.addr()
		if n := d.Count(); n > 0 {
			dv.Addresses = make([]netip.Addr, n)
			for k := range dv.Addresses {
				dv.Addresses[k] = d.addr()
			}
		}
		dv.Tags = d.strs()
		dv.Config = d.str()
		dv.Files = d.strs()
		if d.Bool() {
			t := &Transport{Protocol: d.str(), Port: d.Int32(), User: d.str(), KeyFile: d.str(), KnownHosts: d.str()}
			t.Timeout = time.Duration(d.Varint())
			dv.Transport = t
		}
		dv.Pos = d.pos()
		inv.Devices = append(inv.Devices, dv)
		inv.deviceByName[dv.Name] = dv
	}
	if d.Err != nil {
		return nil
	}
	return inv
}
