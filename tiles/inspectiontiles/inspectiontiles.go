// Package inspectiontiles serves a boundary inspection round's map layers (inspection.MapFeatures) as Mapbox Vector
// Tiles: the markers coloured by their verdict in the round, the line findings and the gaps and overlaps between the
// two sides. The layers are computed in Go from the round's report, so both stores serve the same tiles; they are not
// in the county's layer registry (tiles.Layers) because they belong to one round, not to the store.
//
//	GET /api/inspections/{id}/tiles.json             TileJSON 3.0.0 of the three layers
//	GET /api/inspections/{id}/tiles/{z}/{x}/{y}.mvt  MVT 2.1 (extent 4096, buffer 64); 204 when empty; ETag, 304
//
// The round's report (about 50 ms on the sample: the gap/overlap overlay is most of it) is built once per state of the
// round, not per tile: Memo keeps the features cut into tiles under the versions of the round's documents and the
// store's change signal for lines, markers and divisions, so a tile is never older than the last finding. The answers
// say Cache-Control: no-cache and revalidate by ETag.
package inspectiontiles

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"civmap/gazetteer/inspection"
	"civmap/internal/apierr"
	"civmap/internal/httpx"
	"civmap/tiles"
)

// Layers are the round's vector layers in drawing order (bottom first), with their fields.
var Layers = []tiles.Layer{
	{Name: inspection.LayerSides, Description: "界线两侧缝隙与重叠", MinZoom: 0, MaxZoom: 22, Fields: map[string]string{
		"kind": tiles.String, "area_m2": tiles.Number, "max_width_m": tiles.Number, "from_m": tiles.Number, "to_m": tiles.Number}},
	{Name: inspection.LayerLineFindings, Description: "界线检查记录（区段）", MinZoom: 0, MaxZoom: 22, Fields: map[string]string{
		"id": tiles.String, "from_marker": tiles.String, "to_marker": tiles.String, "from_m": tiles.Number, "to_m": tiles.Number,
		"change": tiles.String, "construction": tiles.String}},
	{Name: inspection.LayerMarkers, Description: "界桩检查结论（按结论着色）", MinZoom: 0, MaxZoom: 22, Fields: map[string]string{
		"marker_no": tiles.String, "type": tiles.String, "condition": tiles.String, "verdict": tiles.String, "colour": tiles.String,
		"displacement_m": tiles.Number, "off_line": tiles.Boolean, "out_of_order": tiles.Boolean, "inspected_on": tiles.String}},
}

// Routes registers the round's tile endpoints on r (reads: open) and returns the memo of features they cut the tiles
// from (NewMemo with DefaultMemoRounds).
func Routes(r *mux.Router, st inspection.Store) *Memo {
	h := &handler{svc: &inspection.Service{Store: st}}
	h.memo = NewMemo(h.svc, DefaultMemoRounds)
	sub := httpx.Sub(r)
	get := []string{http.MethodGet, http.MethodHead}
	sub.Handle("/api/inspections/{id}/tiles.json", httpx.HandlerFunc(h.tileJSON)).Methods(get...)
	sub.Handle("/api/inspections/{id}/tiles/{z}/{x}/{y}", httpx.HandlerFunc(h.tile)).Methods(get...)
	return h.memo
}

type handler struct {
	svc  *inspection.Service
	memo *Memo
}

func notFound(err error, id string) error {
	if errors.Is(err, apierr.ErrNotFound) {
		return httpx.NotFound("inspection", id)
	}
	return err
}

// Encode makes tile t of the features (inspection.MapFeatures), one MVT layer per entry of Layers that has features
// there, in that order; nil when the tile is empty. Feature ids are 1, 2, … in the order of feats (MVT ids are
// numbers); the text id is the property of each layer that names it.
func Encode(t maptile.Tile, feats []inspection.MapFeature) ([]byte, error) {
	return prepare(feats).encode(t)
}

// roundLayers are a round's features as tiles are cut from them: per entry of Layers, the tiles.Features (ids and
// mapped properties as Encode gives them) with their geometry's bound. Never changed once made.
type roundLayers struct {
	layers [][]boundFeature
}

type boundFeature struct {
	tiles.Feature
	bound orb.Bound
}

func prepare(feats []inspection.MapFeature) *roundLayers {
	rl := &roundLayers{layers: make([][]boundFeature, len(Layers))}
	for i, f := range feats {
		for k, l := range Layers {
			if f.Layer == l.Name && f.Geometry != nil {
				rl.layers[k] = append(rl.layers[k], boundFeature{tiles.Feature{ID: uint64(i + 1), Geometry: f.Geometry,
					Properties: tiles.MapProperties(f.Properties)}, f.Geometry.Bound()})
			}
		}
	}
	return rl
}

// encode makes tile t: the candidates of each layer are the features whose bound meets the tile's buffered bound, as
// a store's TileFeatures chooses them.
func (rl *roundLayers) encode(t maptile.Tile) ([]byte, error) {
	bb := tiles.BufferedBound(t)
	names := make([]string, len(Layers))
	feats := make([][]tiles.Feature, len(Layers))
	for k, l := range Layers {
		names[k] = l.Name
		for _, f := range rl.layers[k] {
			if f.bound.Intersects(bb) {
				feats[k] = append(feats[k], f.Feature)
			}
		}
	}
	return tiles.EncodeFeatures(t, names, feats)
}

func (h *handler) tile(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	vars := mux.Vars(r)
	y, ext, _ := strings.Cut(vars["y"], ".")
	if ext != "mvt" && ext != "pbf" {
		return httpx.BadParam("y", "tile %q: want the extension .mvt (or .pbf)", vars["y"])
	}
	t, err := tiles.ParseTile(vars["z"], vars["x"], y)
	if err != nil {
		return err
	}
	rl, err := h.memo.layers(r.Context(), id)
	if err != nil {
		return notFound(err, id)
	}
	b, err := rl.encode(t)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-cache")
	if len(b) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	tag := fmt.Sprintf(`"%016x"`, xxhash.Sum64(b))
	w.Header().Set("ETag", tag)
	for _, v := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		if v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "W/")); v == tag || v == "*" {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
	return nil
}

func (h *handler) tileJSON(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	rd, err := h.svc.Round(r.Context(), id)
	if err != nil {
		return notFound(err, id)
	}
	line, err := h.svc.Store.BoundaryLine(r.Context(), rd.LineID)
	if err != nil {
		return err
	}
	vls := make([]tiles.VectorLayer, len(Layers))
	for i, l := range Layers {
		vls[i] = tiles.VectorLayer{ID: l.Name, Description: l.Description, MinZoom: l.MinZoom,
			MaxZoom: min(l.MaxZoom, tiles.DefaultTileJSONMaxZoom), Fields: l.Fields}
	}
	// The line's bound, grown by about 1 km; the tile URL on the request's own scheme and host.
	b := line.Geometry.Bound().Pad(0.01)
	c := b.Center()
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	httpx.WriteJSON(w, http.StatusOK, tiles.TileJSON{
		TileJSON: "3.0.0", Name: "civmap " + rd.ID, Description: rd.ID + " 界线联合检查", Version: "1.0.0",
		Attribution: tiles.Attribution, Scheme: "xyz",
		Tiles:   []string{scheme + "://" + r.Host + "/api/inspections/" + url.PathEscape(rd.ID) + "/tiles/{z}/{x}/{y}.mvt"},
		MinZoom: 0, MaxZoom: tiles.DefaultTileJSONMaxZoom,
		Bounds:       [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
		Center:       [3]float64{c[0], c[1], tiles.DefaultCenterZoom},
		VectorLayers: vls,
	})
	return nil
}
