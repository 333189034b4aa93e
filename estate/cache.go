package estate

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/internal/buildid"
	"github.com/fwpol/fwpol/internal/wire"
	"github.com/fwpol/fwpol/policy"
)

// The parse cache keeps every parsed file of an estate in one pack file,
// keyed by the list of inputs. A pack is an index section (per file: its
// fingerprint, vendor, address footprint, address index, and the length and
// checksum of its encoded config), checksummed as a whole, followed by the
// encoded configs. The pack is mapped, not read: a command touches only the
// configs it decodes, and checks each one's checksum before decoding it. An entry is reused only when the file's
// size, modification time, change time and inode are unchanged; a changed
// file re-parses alone. Packs are written to a temporary file, synced and
// renamed, so readers never see a partial pack and concurrent writers only
// race to install a complete one. A damaged pack fails its checksum and is
// rebuilt, never trusted.

const (
	cacheMagic = "FWPOLC01"
	// 3: Object.Meta; 4, 5: mapped packs with per-config checksums and the
	// address index; 6: both; 7: the writing build's ID after the version
	// (a pack written by another build is not read: its parsers may differ)
	cacheVersion = 7
	// packHeader: magic, CRC-32C of the index section, its length (8 bytes).
	packHeader = len(cacheMagic) + 4 + 8
)

// DefaultCacheDir is $FWPOL_CACHE_DIR, or fwpol under the user cache dir.
func DefaultCacheDir() string {
	if d := os.Getenv("FWPOL_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "fwpol")
	}
	return filepath.Join(os.TempDir(), "fwpol-cache")
}

type fingerprint struct {
	size, mtime, ctime int64
	ino                uint64
}

type cacheEntry struct {
	fp      fingerprint
	vendor  string
	skipped bool
	// footprint is set on entries parsed afresh; fpRaw holds it encoded.
	footprint *Footprint
	fpRaw     []byte
	// idx is the address index (addrindex.go); empty in entries that have none.
	idx  []byte
	blob []byte
	// blobCRC is the CRC-32C of blob, checked before it is decoded.
	blobCRC uint32
}

// config decodes the entry's config after checking its checksum.
func (e *cacheEntry) config(file string) (*policy.Config, error) {
	if crc32.Checksum(e.blob, crcTable) != e.blobCRC {
		return nil, wire.ErrCorrupt
	}
	return decodeConfig(e.blob, file)
}

// footprintInto decodes the entry's address footprint into fp, reusing
// its storage (one Footprint per worker: no allocation per entry). An
// undecodable footprint never lets the config be skipped.
func (e *cacheEntry) footprintInto(fp *Footprint) *Footprint {
	d := &decoder{wire.Decoder{B: e.fpRaw}}
	always := d.Bool()
	n := d.Count()
	rr := fp.Ranges[:0]
	for k := 0; k < n && d.Err == nil; k++ {
		from := d.addr()
		rr = append(rr, netipx.IPRangeFrom(from, d.addr()))
	}
	*fp = Footprint{Ranges: rr, Always: always || d.Err != nil}
	return fp
}

func encodeFootprint(fp *Footprint) []byte {
	e := &encoder{}
	e.Bool(fp.Always)
	e.Uvarint(uint64(len(fp.Ranges)))
	for _, r := range fp.Ranges {
		e.addr(r.From())
		e.addr(r.To())
	}
	return e.B
}

type pack struct {
	path    string
	entries map[string]cacheEntry
	// unmap releases the pack's mapping; entries must not be used after.
	unmap func()
	// size is the pack's length in bytes.
	size int
}

// close releases the mapping (decoded configs never point into it).
func (p *pack) close() {
	if p.unmap != nil {
		p.unmap()
		p.unmap = nil
	}
}

func packPath(dir string, jobs []job) string {
	h := sha256.New()
	keys := make([]string, len(jobs))
	for i, j := range jobs {
		keys[i] = j.abs + "\x00" + j.vendor
	}
	sort.Strings(keys)
	for _, k := range keys {
		io.WriteString(h, k+"\n")
	}
	return filepath.Join(dir, "estate-"+hex.EncodeToString(h.Sum(nil)[:12])+".pack")
}

// readPack maps a pack, returning an empty one when it is missing or its
// index section is damaged. fwpol only replaces packs by rename, never
// rewrites them in place, so the mapping stays valid; reads of it are
// guarded against another program truncating it (mapguard.go).
func readPack(path string) *pack {
	p := &pack{path: path, entries: map[string]cacheEntry{}}
	data, unmap, err := mapFile(path)
	if err != nil {
		return p
	}
	empty := func() *pack { unmap(); p.entries = map[string]cacheEntry{}; return p }
	var ok bool
	if guardMapped(func() { ok = p.index(data) }) || !ok {
		return empty()
	}
	p.unmap, p.size = unmap, len(data)
	return p
}

// index reads the pack's table of entries (ok false: not a usable pack).
func (p *pack) index(data []byte) (ok bool) {
	if len(data) < packHeader || string(data[:len(cacheMagic)]) != cacheMagic {
		return false
	}
	sum := binary.LittleEndian.Uint32(data[len(cacheMagic):])
	an := binary.LittleEndian.Uint64(data[len(cacheMagic)+4:])
	if an > uint64(len(data)-packHeader) {
		return false
	}
	body, blobs := data[packHeader:packHeader+int(an)], data[packHeader+int(an):]
	if crc32.Checksum(body, crcTable) != sum {
		return false
	}
	d := &decoder{wire.Decoder{B: body}}
	if d.Uvarint() != cacheVersion || d.Str() != packBuild() {
		return false
	}
	n := d.Count()
	p.entries = make(map[string]cacheEntry, n)
	for i := 0; i < n && d.Err == nil; i++ {
		name := d.Str()
		var e cacheEntry
		e.fp.size = int64(d.Uvarint())
		e.fp.mtime = int64(d.Uvarint())
		e.fp.ctime = int64(d.Uvarint())
		e.fp.ino = d.Uvarint()
		e.vendor = d.Str()
		e.skipped = d.Bool()
		fl := d.Count()
		e.fpRaw = d.B[:fl]
		d.B = d.B[fl:]
		il := d.Count()
		e.idx = d.B[:il]
		d.B = d.B[il:]
		bl := d.Uvarint()
		if bl > uint64(len(blobs)) || len(d.B) < 4 {
			d.Fail()
			break
		}
		e.blob, blobs = blobs[:bl:bl], blobs[bl:]
		e.blobCRC = binary.LittleEndian.Uint32(d.B)
		d.B = d.B[4:]
		p.entries[name] = e
	}
	if d.Err != nil || len(d.B) != 0 || len(blobs) != 0 {
		p.entries = map[string]cacheEntry{}
		return false
	}
	return true
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// packBuild names the build that writes and may read packs (a variable for
// tests).
var packBuild = buildid.ID

// write installs the pack atomically. Entries kept from the old pack are
// copied from its mapping: a fault there abandons the write.
func (p *pack) write() (err error) {
	if guardMapped(func() { err = p.writeUnguarded() }) {
		return errors.New("parse cache: the old pack was truncated while in use")
	}
	return err
}

func (p *pack) writeUnguarded() error {
	if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(p.entries))
	for n := range p.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	e := &encoder{}
	e.Uvarint(cacheVersion)
	e.Str(packBuild())
	e.Uvarint(uint64(len(names)))
	for _, n := range names {
		ent := p.entries[n]
		e.Str(n)
		e.Uvarint(uint64(ent.fp.size))
		e.Uvarint(uint64(ent.fp.mtime))
		e.Uvarint(uint64(ent.fp.ctime))
		e.Uvarint(ent.fp.ino)
		e.Str(ent.vendor)
		e.Bool(ent.skipped)
		raw := ent.fpRaw
		if ent.footprint != nil {
			raw = encodeFootprint(ent.footprint)
		}
		e.Uvarint(uint64(len(raw)))
		e.B = append(e.B, raw...)
		e.Uvarint(uint64(len(ent.idx)))
		e.B = append(e.B, ent.idx...)
		e.Uvarint(uint64(len(ent.blob)))
		crc := ent.blobCRC
		if ent.blob != nil && crc == 0 {
			crc = crc32.Checksum(ent.blob, crcTable)
		}
		e.B = binary.LittleEndian.AppendUint32(e.B, crc)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p.path), ".pack-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	var hdr [12]byte
	binary.LittleEndian.PutUint32(hdr[:], crc32.Checksum(e.B, crcTable))
	binary.LittleEndian.PutUint64(hdr[4:], uint64(len(e.B)))
	w.WriteString(cacheMagic)
	w.Write(hdr[:])
	w.Write(e.B)
	for _, n := range names {
		w.Write(p.entries[n].blob)
	}
	// No fsync: a pack cut short by a crash fails its checksum and is rebuilt.
	if err := errors.Join(w.Flush(), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p.path)
}
