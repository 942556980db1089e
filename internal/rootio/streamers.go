package rootio

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"go-hep.org/x/hep/groot/rbase"
	"go-hep.org/x/hep/groot/rbytes"
	"go-hep.org/x/hep/groot/rcont"
	"go-hep.org/x/hep/groot/rdict"
	"go-hep.org/x/hep/groot/rmeta"
	"go-hep.org/x/hep/groot/root"
)

// streamerChecksum computes ROOT's TStreamerInfo::GetCheckSum (the
// kCurrentCheckSum variant) of a class from its streamer elements: the
// class name, the base names and checksums, then every member's name, type
// (enums count as "int"), array dimensions and "[counter]" title range.
func streamerChecksum(name string, elems []rbytes.StreamerElement) uint32 {
	var id uint32
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			id = id*3 + uint32(s[i])
		}
	}
	add(name)
	for _, e := range elems {
		if b, ok := e.(*rdict.StreamerBase); ok {
			add(b.Name())
			// Every base we use (TObject, TArray*, ...) has streamer
			// infos in groot's database, which give its checksum.
			if si, ok := rdict.StreamerInfos.Get(b.Name(), b.Base()); ok {
				id = id*3 + uint32(si.CheckSum())
			}
		}
	}
	for _, e := range elems {
		if _, ok := e.(*rdict.StreamerBase); ok {
			continue
		}
		add(e.Name())
		typ := e.TypeName()
		if _, builtin := rmeta.CxxBuiltins[typ]; e.Type() == rmeta.Int && !builtin {
			typ = "int" // an enum
		}
		add(typ)
		if se, ok := e.(interface{ ArrayDims() []int32 }); ok {
			for _, d := range se.ArrayDims() {
				id = id*3 + uint32(d)
			}
		}
		if t := e.Title(); strings.Contains(t, "[") {
			l := strings.Index(t, "[")
			if r := strings.Index(t[l:], "]"); r > 0 {
				add(t[l+1 : l+r])
			}
		}
	}
	return id
}

func baseElem(name, title string, vers int32) rbytes.StreamerElement {
	chk := int32(0)
	if si, ok := rdict.StreamerInfos.Get(name, int(vers)); ok {
		chk = int32(si.CheckSum())
	}
	return rdict.NewStreamerBase(rdict.Element{
		Name:   *rbase.NewNamed(name, title),
		Type:   rmeta.Base,
		MaxIdx: [5]int32{0, chk, 0, 0, 0},
		EName:  "BASE",
	}.New(), vers)
}

func doubleElem(name, title string) rbytes.StreamerElement {
	return &rdict.StreamerBasicType{StreamerElement: rdict.Element{
		Name:  *rbase.NewNamed(name, title),
		Type:  rmeta.Double,
		Size:  8,
		EName: "double",
	}.New()}
}

var registerOnce sync.Once

// registerStreamers adds to groot's streamer database the streamer infos
// of the ROOT 6 classes groot lacks: TAtt3D, TH3 and TH3C/S/I/F/D.
func registerStreamers() {
	registerOnce.Do(func() {
		add := func(name string, vers int32, elems []rbytes.StreamerElement) {
			if _, ok := rdict.StreamerInfos.Get(name, int(vers)); ok {
				return
			}
			rdict.StreamerInfos.Add(rdict.NewCxxStreamerInfo(name, vers, streamerChecksum(name, elems), elems))
		}
		add("TAtt3D", 1, nil)
		add("TH3", versTH3, []rbytes.StreamerElement{
			baseElem("TH1", "1-Dim histogram base class", versTH1),
			baseElem("TAtt3D", "3D attributes", 1),
			doubleElem("fTsumwy", "Total Sum of weight*Y"),
			doubleElem("fTsumwy2", "Total Sum of weight*Y*Y"),
			doubleElem("fTsumwxy", "Total Sum of weight*X*Y"),
			doubleElem("fTsumwz", "Total Sum of weight*Z"),
			doubleElem("fTsumwz2", "Total Sum of weight*Z*Z"),
			doubleElem("fTsumwxz", "Total Sum of weight*X*Z"),
			doubleElem("fTsumwyz", "Total Sum of weight*Y*Z"),
		})
		for _, k := range "CSIFD" {
			add("TH3"+string(k), versTH3x, []rbytes.StreamerElement{
				baseElem("TH3", "3-Dim histogram base class", versTH3),
				baseElem("TArray"+string(k), "Array of "+arrayTitle(byte(k)), 1),
			})
		}
	})
}

func arrayTitle(k byte) string {
	switch k {
	case 'C':
		return "chars"
	case 'S':
		return "shorts"
	case 'I':
		return "ints"
	case 'F':
		return "floats"
	}
	return "doubles"
}

// coreClasses are never given a streamer info in a file (ROOT knows them).
var coreClasses = map[string]bool{
	"TObject": true, "TString": true, "TFile": true, "TDirectory": true,
	"TDirectoryFile": true, "TKey": true, "TDatime": true, "TBasket": true,
}

// StreamerInfosFor returns the streamer infos of the given classes and of
// every class they depend on (bases and members), dependencies first.
func StreamerInfosFor(classes []string) ([]rbytes.StreamerInfo, error) {
	registerStreamers()
	var (
		out  []rbytes.StreamerInfo
		done = map[string]bool{}
		add  func(name string, vers int) error
	)
	add = func(name string, vers int) error {
		name = strings.TrimSuffix(name, "*")
		if done[name] || coreClasses[name] {
			return nil
		}
		if _, ok := rmeta.CxxBuiltins[name]; ok {
			return nil
		}
		done[name] = true
		si, ok := rdict.StreamerInfos.Get(name, vers)
		if !ok {
			if strings.Contains(name, "::") { // enums
				return nil
			}
			return fmt.Errorf("rootio: no streamer info for class %q", name)
		}
		for _, e := range si.Elements() {
			switch e := e.(type) {
			case *rdict.StreamerBase:
				if err := add(e.Name(), e.Base()); err != nil {
					return err
				}
			case *rdict.StreamerObject, *rdict.StreamerObjectAny, *rdict.StreamerObjectPointer, *rdict.StreamerObjectAnyPointer:
				if err := add(e.TypeName(), -1); err != nil {
					return err
				}
			}
		}
		out = append(out, si)
		return nil
	}
	sorted := append([]string(nil), classes...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if err := add(c, -1); err != nil {
			return nil, err
		}
	}
	// Classes streamed inside ours without appearing as members.
	for _, c := range []string{"TObjString", "THashList", "TList"} {
		if err := add(c, -1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EncodeStreamerInfoList streams a TList (list=true) or TObjArray of the
// given streamer infos, as the payload of a file's "StreamerInfo" key
// (off = key length) or of a TMessage (off = 8).
func EncodeStreamerInfoList(sinfos []rbytes.StreamerInfo, off int, objArray bool) (data []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("rootio: encoding streamer infos: %v", p)
		}
	}()
	objs := make([]root.Object, len(sinfos))
	for i, si := range sinfos {
		objs[i] = si
	}
	w := rbytes.NewWBuffer(nil, nil, uint32(off), nil)
	if objArray {
		oa := rcont.NewObjArray()
		oa.SetElems(objs)
		w.WriteObjectAny(oa)
	} else {
		l := rcont.NewList("", objs)
		if _, err := l.MarshalROOT(w); err != nil {
			return nil, err
		}
	}
	if w.Err() != nil {
		return nil, w.Err()
	}
	return w.Bytes(), nil
}
