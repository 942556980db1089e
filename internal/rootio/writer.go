package rootio

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"go-hep.org/x/hep/groot/rbytes"
)

// Entry is one object to write: its directory path ("" at the top,
// slash-separated), its key name (any characters, '/' included) and the
// object (*Hist, *Graph or *ObjString).
type Entry struct {
	Dir  string
	Name string
	Obj  any
}

// WriteOptions tunes WriteFile.
type WriteOptions struct {
	// FileName is the name recorded inside the file (ROOT's TFile name).
	FileName string
	// Level is the zlib compression level (0 = none, default 1 when
	// negative).
	Level int
	// Now is the time stamped on keys and directories (time.Now when zero).
	Now time.Time
}

const (
	fileVersion = 62800 // written files claim ROOT 6.28/00
	fileBegin   = 100
	dirRecLen   = 60 // TDirectoryFile record: 42 bytes + 18 of UUID... + 12 spare
	keyVersion  = 4
	dirVersion  = 5
	kStartBig   = 2000000000
)

type wdir struct {
	name    string
	seekDir int64 // offset of the directory's key (fileBegin for the top)
	parent  *wdir
	recPos  int64 // offset of the TDirectory record in the output
	keys    [][]byte
	subs    map[string]*wdir
	cycles  map[string]int // last cycle written per key name
	nbName  int
}

type fileWriter struct {
	out   []byte
	dt    uint32
	level int
	name  string
}

func datime(t time.Time) uint32 {
	t = t.UTC()
	y := t.Year() - 1995
	if y < 0 {
		y = 0
	}
	return uint32(y)<<26 | uint32(t.Month())<<22 | uint32(t.Day())<<17 |
		uint32(t.Hour())<<12 | uint32(t.Minute())<<6 | uint32(t.Second())
}

func tstringLen(s string) int {
	if len(s) < 255 {
		return 1 + len(s)
	}
	return 5 + len(s)
}

func keyLen(class, name, title string) int {
	return 4 + 2 + 4 + 4 + 2 + 2 + 4 + 4 + tstringLen(class) + tstringLen(name) + tstringLen(title)
}

// keyHeader encodes a TKey header.
func keyHeader(nbytes, objlen int, dt uint32, cycle int, seekKey, seekPdir int64, class, name, title string) []byte {
	w := newWBuf(0, keyLen(class, name, title))
	w.i32(int32(nbytes))
	w.i16(keyVersion)
	w.i32(int32(objlen))
	w.u32(dt)
	w.i16(int16(keyLen(class, name, title)))
	w.i16(int16(cycle))
	w.i32(int32(seekKey))
	w.i32(int32(seekPdir))
	w.tstring(class)
	w.tstring(name)
	w.tstring(title)
	return w.b
}

// addKey appends a key with its payload (compressed when worthwhile) and
// returns its header.
func (fw *fileWriter) addKey(class, name, title string, payload []byte, seekPdir int64, compress bool) ([]byte, int64) {
	return fw.addKeyCycle(class, name, title, 1, payload, seekPdir, compress)
}

func (fw *fileWriter) addKeyCycle(class, name, title string, cycle int, payload []byte, seekPdir int64, compress bool) ([]byte, int64) {
	kl := keyLen(class, name, title)
	data := payload
	if compress && fw.level > 0 && len(payload) > 256 {
		if c, err := Compress(payload, fw.level); err == nil && c != nil {
			data = c
		}
	}
	seek := int64(len(fw.out))
	hdr := keyHeader(kl+len(data), len(payload), fw.dt, cycle, seek, seekPdir, class, name, title)
	fw.out = append(fw.out, hdr...)
	fw.out = append(fw.out, data...)
	return hdr, seek
}

func uuid() []byte {
	b := make([]byte, 18)
	b[1] = 1 // version
	_, _ = rand.Read(b[2:])
	return b
}

// dirRecord encodes a TDirectoryFile record (keys fields patched later).
func (fw *fileWriter) dirRecord(nbName int, seekDir, seekParent int64) []byte {
	w := newWBuf(0, dirRecLen)
	w.i16(dirVersion)
	w.u32(fw.dt)
	w.u32(fw.dt)
	w.i32(0) // nbytes keys
	w.i32(int32(nbName))
	w.i32(int32(seekDir))
	w.i32(int32(seekParent))
	w.i32(0) // seek keys
	w.b = append(w.b, uuid()...)
	w.b = append(w.b, make([]byte, 12)...)
	return w.b
}

// WriteFile encodes entries as a ROOT file.
func WriteFile(entries []Entry, opts WriteOptions) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("rootio: writing file: %v", p)
		}
	}()
	registerStreamers()
	if opts.FileName == "" {
		opts.FileName = "overwatch.root"
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Level < 0 {
		opts.Level = 1
	}
	if opts.Level > 9 {
		opts.Level = 9
	}
	fw := &fileWriter{out: make([]byte, fileBegin, 4096), dt: datime(opts.Now), level: opts.Level, name: opts.FileName}

	// Top directory: the TFile key, its name and title, then its record.
	top := &wdir{name: opts.FileName, seekDir: fileBegin, subs: map[string]*wdir{}}
	kl := keyLen("TFile", opts.FileName, "")
	top.nbName = kl + tstringLen(opts.FileName) + tstringLen("")
	{
		w := newWBuf(0, 64)
		w.tstring(opts.FileName)
		w.tstring("")
		payload := append(w.b, fw.dirRecord(top.nbName, fileBegin, 0)...)
		fw.addKey("TFile", opts.FileName, "", payload, 0, false)
		top.recPos = int64(fileBegin + top.nbName)
	}
	dirs := []*wdir{top}

	getDir := func(path string) (*wdir, error) {
		d := top
		if path == "" {
			return d, nil
		}
		for _, part := range strings.Split(path, "/") {
			if part == "" {
				return nil, fmt.Errorf("rootio: empty directory name in %q", path)
			}
			sub, ok := d.subs[part]
			if !ok && d.cycles[part] > 0 {
				return nil, fmt.Errorf("rootio: directory %q has the name of a key", path)
			}
			if !ok {
				sub = &wdir{name: part, parent: d, subs: map[string]*wdir{}}
				kl := keyLen("TDirectoryFile", part, part)
				seek := int64(len(fw.out))
				rec := fw.dirRecord(kl, seek, d.seekDir)
				hdr, _ := fw.addKey("TDirectoryFile", part, part, rec, d.seekDir, false)
				sub.seekDir = seek
				sub.recPos = seek + int64(kl)
				d.keys = append(d.keys, hdr)
				d.subs[part] = sub
				dirs = append(dirs, sub)
			}
			d = sub
		}
		return d, nil
	}

	classes := map[string]bool{}
	for _, e := range entries {
		if e.Name == "" {
			return nil, fmt.Errorf("rootio: entry in %q has an empty key name", e.Dir)
		}
		d, err := getDir(e.Dir)
		if err != nil {
			return nil, err
		}
		title := ""
		switch o := e.Obj.(type) {
		case *Hist:
			title = o.Title
		case *Graph:
			title = o.Title
		case *ObjString:
			title = "Collectable string class"
		}
		class := className(e.Obj)
		kl := keyLen(class, e.Name, title)
		class, payload, err := EncodeObject(e.Obj, kl)
		if err != nil {
			return nil, fmt.Errorf("rootio: entry %q: %w", e.Name, err)
		}
		classes[class] = true
		if g, ok := e.Obj.(*Graph); ok && graphFrame(g) != nil {
			classes["TH1F"] = true
		}
		if d.cycles == nil {
			d.cycles = map[string]int{}
		}
		if _, isDir := d.subs[e.Name]; isDir {
			return nil, fmt.Errorf("rootio: key %q in %q is also a directory name", e.Name, e.Dir)
		}
		d.cycles[e.Name]++ // a repeated name gets the next cycle, as in ROOT
		hdr, _ := fw.addKeyCycle(class, e.Name, title, d.cycles[e.Name], payload, d.seekDir, true)
		d.keys = append(d.keys, hdr)
	}

	// StreamerInfo.
	var names []string
	for c := range classes {
		names = append(names, c)
	}
	sinfos, err := StreamerInfosFor(names)
	if err != nil {
		return nil, err
	}
	siKL := keyLen("TList", "StreamerInfo", "Doubly linked list")
	siPayload, err := EncodeStreamerInfoList(sinfos, siKL, false)
	if err != nil {
		return nil, err
	}
	siHdr, seekInfo := fw.addKey("TList", "StreamerInfo", "Doubly linked list", siPayload, fileBegin, true)
	nbytesInfo := int(binary.BigEndian.Uint32(siHdr))

	// Key lists, then the directory records.
	for _, d := range dirs {
		class, title := "TDirectoryFile", d.name
		if d == top {
			class, title = "TFile", ""
		}
		w := newWBuf(0, 256)
		w.i32(int32(len(d.keys)))
		for _, k := range d.keys {
			w.b = append(w.b, k...)
		}
		hdr, seek := fw.addKey(class, d.name, title, w.b, d.seekDir, false)
		nbytes := binary.BigEndian.Uint32(hdr)
		binary.BigEndian.PutUint32(fw.out[d.recPos+10:], nbytes)
		binary.BigEndian.PutUint32(fw.out[d.recPos+26:], uint32(seek))
	}

	// Free segments: one TFree from the end of the file to kStartBig.
	fkl := keyLen("TFile", opts.FileName, "")
	seekFree := int64(len(fw.out))
	end := seekFree + int64(fkl) + 10
	free := newWBuf(0, 10)
	free.i16(1)
	free.i32(int32(end))
	free.i32(kStartBig)
	fw.addKey("TFile", opts.FileName, "", free.b, fileBegin, false)
	if int64(len(fw.out)) != end || end >= kStartBig {
		return nil, fmt.Errorf("rootio: file layout error (end %d)", end)
	}

	// File header.
	h := newWBuf(0, fileBegin)
	h.b = append(h.b, "root"...)
	h.i32(fileVersion)
	h.i32(fileBegin)
	h.i32(int32(end))
	h.i32(int32(seekFree))
	h.i32(int32(fkl + 10))
	h.i32(1) // nfree
	h.i32(int32(top.nbName))
	h.u8(4) // units
	h.i32(int32(100*1 + fw.level))
	if fw.level == 0 {
		h.b = h.b[:len(h.b)-4]
		h.i32(0)
	}
	h.i32(int32(seekInfo))
	h.i32(int32(nbytesInfo))
	h.b = append(h.b, uuid()...)
	copy(fw.out, h.b)
	return fw.out, nil
}

func className(obj any) string {
	switch o := obj.(type) {
	case *Hist:
		return o.Class
	case *Graph:
		return o.Class
	case *ObjString:
		return "TObjString"
	case *Collection:
		return o.Class
	}
	return ""
}

var _ = rbytes.StreamerInfo(nil)
