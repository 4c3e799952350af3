package basemap

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/protomaps/go-pmtiles/pmtiles"
)

// archive is an open PMTiles v3 archive (github.com/protomaps/go-pmtiles reads its header and directories): the root
// directory is held in memory, leaf directories are read when a tile needs them and kept (an extract of a county has
// few).
type archive struct {
	f           *os.File
	size        int64
	mod         time.Time
	etag        string
	h           pmtiles.HeaderV3
	root        []pmtiles.EntryV3
	ext         string // mvt, png, jpg, webp
	contentType string
	gzip        bool // tiles are stored gzip-compressed (served with Content-Encoding: gzip)
	attribution string

	mu     sync.Mutex
	leaves map[uint64][]pmtiles.EntryV3 // by offset
}

func openArchive(path string) (*archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := statFile(path)
	if err != nil {
		f.Close()
		return nil, err
	}
	a := &archive{f: f, size: fi.Size(), mod: fi.ModTime(), leaves: map[uint64][]pmtiles.EntryV3{},
		etag: `"` + strconv.FormatInt(fi.Size(), 36) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 36) + `"`}
	fail := func(err error) (*archive, error) { f.Close(); return nil, err }
	head := make([]byte, pmtiles.HeaderV3LenBytes)
	if _, err := f.ReadAt(head, 0); err != nil {
		return fail(fmt.Errorf("not a PMTiles v3 archive: %w", err))
	}
	if a.h, err = pmtiles.DeserializeHeader(head); err != nil {
		return fail(fmt.Errorf("not a PMTiles v3 archive: %w", err))
	}
	switch a.h.TileType {
	case pmtiles.Mvt:
		a.ext, a.contentType = "mvt", "application/vnd.mapbox-vector-tile"
	case pmtiles.Png:
		a.ext, a.contentType = "png", "image/png"
	case pmtiles.Jpeg:
		a.ext, a.contentType = "jpg", "image/jpeg"
	case pmtiles.Webp:
		a.ext, a.contentType = "webp", "image/webp"
	default:
		return fail(fmt.Errorf("tile type %d: civmap serves MVT, PNG, JPEG and WebP archives", a.h.TileType))
	}
	switch a.h.TileCompression {
	case pmtiles.Gzip:
		a.gzip = true
	case pmtiles.NoCompression, pmtiles.UnknownCompression:
	default:
		return fail(fmt.Errorf("tile compression %d: civmap serves uncompressed or gzip tiles", a.h.TileCompression))
	}
	if a.root, err = a.directory(a.h.RootOffset, a.h.RootLength); err != nil {
		return fail(fmt.Errorf("root directory: %w", err))
	}
	if a.h.MetadataLength > 0 {
		raw := make([]byte, a.h.MetadataLength)
		if _, err := f.ReadAt(raw, int64(a.h.MetadataOffset)); err == nil {
			if md, err := pmtiles.DeserializeMetadata(bytes.NewReader(raw), a.h.InternalCompression); err == nil {
				a.attribution, _ = md["attribution"].(string)
			}
		}
	}
	return a, nil
}

func (a *archive) directory(off, length uint64) (entries []pmtiles.EntryV3, err error) {
	defer func() {
		if recover() != nil { // DeserializeEntries reads varints without checks: a corrupt directory panics
			entries, err = nil, errors.New("corrupt directory")
		}
	}()
	if length > 64<<20 || int64(off+length) > a.size {
		return nil, errors.New("directory outside the file")
	}
	raw := make([]byte, length)
	if _, err := a.f.ReadAt(raw, int64(off)); err != nil {
		return nil, err
	}
	if a.h.InternalCompression == pmtiles.Gzip {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		if raw, err = io.ReadAll(io.LimitReader(zr, 256<<20)); err != nil {
			return nil, err
		}
	}
	return pmtiles.DeserializeEntries(bytes.NewBuffer(raw), pmtiles.NoCompression), nil
}

// tile returns the stored bytes of z/x/y (compressed as the archive stores them), or nil when the archive has none.
func (a *archive) tile(z uint8, x, y uint32) ([]byte, error) {
	if z < a.h.MinZoom || z > a.h.MaxZoom {
		return nil, nil
	}
	id := pmtiles.ZxyToID(z, x, y)
	dir := a.root
	for depth := 0; depth < 4; depth++ {
		e, ok := pmtiles.FindTile(dir, id)
		if !ok {
			return nil, nil
		}
		if e.RunLength > 0 {
			if e.Length > 32<<20 || int64(a.h.TileDataOffset+e.Offset+uint64(e.Length)) > a.size {
				return nil, errors.New("pmtiles: tile outside the file")
			}
			b := make([]byte, e.Length)
			_, err := a.f.ReadAt(b, int64(a.h.TileDataOffset+e.Offset))
			return b, err
		}
		off := a.h.LeafDirectoryOffset + e.Offset
		a.mu.Lock()
		leaf, ok := a.leaves[off]
		a.mu.Unlock()
		if !ok {
			var err error
			if leaf, err = a.directory(off, uint64(e.Length)); err != nil {
				return nil, fmt.Errorf("pmtiles: leaf directory: %w", err)
			}
			a.mu.Lock()
			if len(a.leaves) < 4096 {
				a.leaves[off] = leaf
			}
			a.mu.Unlock()
		}
		dir = leaf
	}
	return nil, errors.New("pmtiles: directories nested too deep")
}
