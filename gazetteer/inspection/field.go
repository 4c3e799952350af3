package inspection

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // photo sniffing
	_ "image/png"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// FindingInput is one marker finding as the field view posts it (JSON). Observed uses the sheet's conventions:
// x_north/y_east are northing/easting metres for EPSG:4549/4550 and latitude/longitude degrees for EPSG:4490/4326
// (a phone's geolocation).
type FindingInput struct {
	MarkerNo    string    `json:"marker_no"`
	InspectedOn string    `json:"inspected_on"`
	Condition   string    `json:"condition"`
	Observed    *Position `json:"observed"`
	Team        string    `json:"team"`
	Note        string    `json:"note"`
	Repairs     string    `json:"repairs"`
	Photos      []string  `json:"photos"`
}

// FindingAnswer is what a saved finding answers: the finding and its marker's report row (displacement, verdict).
type FindingAnswer struct {
	Finding MarkerFinding `json:"finding"`
	Row     MarkerRow     `json:"row"`
	Version int64         `json:"version"`
}

// RecordFinding validates and stores one marker finding (inspector), replacing the marker's finding of this round if
// any. It applies the sheet's rules (the same reason codes, as a 422 naming the field "observed" etc.).
func (s *Service) RecordFinding(ctx context.Context, roundID string, in FindingInput) (FindingAnswer, error) {
	if err := edit.Require(ctx, edit.RoleInspector); err != nil {
		return FindingAnswer{}, err
	}
	rd, err := s.Round(ctx, roundID)
	if err != nil {
		return FindingAnswer{}, err
	}
	markers, err := s.Store.Markers(ctx, rd.LineID)
	if err != nil {
		return FindingAnswer{}, err
	}
	byNo := map[string]int{}
	for i, m := range markers {
		byNo[m.Number] = i
	}
	cells := map[string]string{"marker_no": strings.TrimSpace(in.MarkerNo), "inspected_on": in.InspectedOn,
		"condition": in.Condition, "team": in.Team, "note": in.Note, "repairs": in.Repairs}
	if in.Observed != nil {
		cells["x_north_m"] = strconv.FormatFloat(in.Observed.North, 'f', -1, 64)
		cells["y_east_m"] = strconv.FormatFloat(in.Observed.East, 'f', -1, 64)
		cells["crs"] = in.Observed.CRS
	}
	mm := map[string]gazetteer.Marker{}
	for _, m := range markers {
		mm[m.Number] = m
	}
	fs, rej := s.checkRows(rd, []row{{line: 1, cells: cells}}, mm, "field")
	if len(rej) > 0 {
		field := map[string]string{ReasonUnknownMarker: "marker_no", ReasonBadCondition: "condition", ReasonBadDate: "inspected_on",
			ReasonDateOutsideRound: "inspected_on"}[rej[0].Reason]
		if field == "" {
			field = "observed"
		}
		return FindingAnswer{}, apierr.Invalid{{Field: field, Reason: rej[0].Reason + ": " + rej[0].Message}}
	}
	f := fs[0]
	for i, p := range in.Photos {
		if !strings.HasPrefix(p, rd.ID+"/") {
			return FindingAnswer{}, apierr.Field(fmt.Sprintf("photos[%d]", i), "photo %q is not one of round %s's", p, rd.ID)
		}
		if _, err := s.Store.Doc(ctx, KindPhoto, p); err != nil {
			return FindingAnswer{}, apierr.Field(fmt.Sprintf("photos[%d]", i), "no photo %q (POST it to …/photos first)", p)
		}
	}
	f.Photos = in.Photos
	b, err := json.Marshal(f)
	if err != nil {
		return FindingAnswer{}, err
	}
	vs, err := s.Store.WriteDocs(ctx, []edit.DocWrite{{Kind: KindMarkerFinding, ID: rd.ID + "/" + f.MarkerNo, Body: b,
		ExpectVersion: edit.AnyVersion}}, edit.MetaFor(ctx, "inspect"))
	if err != nil {
		return FindingAnswer{}, err
	}
	rep, err := s.report(ctx, rd.ID, false)
	if err != nil {
		return FindingAnswer{}, err
	}
	ans := FindingAnswer{Finding: f, Version: vs[0]}
	ans.Row = rep.Markers[byNo[f.MarkerNo]]
	return ans, nil
}

// MaxPhotoBytes is the largest photo accepted: 1 MiB (the field view scales photos down before sending; the document
// keeps it base64-encoded, under the server's 2 MiB body limit).
const MaxPhotoBytes = 1 << 20

// Photo is a KindPhoto document: a JPEG or PNG of a marker, base64, with its type, size, pixel size and when it was
// taken in by whom.
type Photo struct {
	RoundID     string `json:"round_id"`
	ContentType string `json:"content_type"`
	Bytes       int    `json:"bytes"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	SHA256      string `json:"sha256"`
	Data        string `json:"data"`
	AddedAt     string `json:"added_at"`
}

// AddPhoto stores a photo (inspector): JPEG or PNG by its bytes (whatever the Content-Type says), at most
// MaxPhotoBytes, decodable. The id is "<round>/<sha-256, 16 hex>", so sending it twice stores it once. Errors name
// "body": 413 over the limit, 415 not an image.
func (s *Service) AddPhoto(ctx context.Context, roundID string, b []byte) (string, error) {
	if err := edit.Require(ctx, edit.RoleInspector); err != nil {
		return "", err
	}
	if _, err := s.Round(ctx, roundID); err != nil {
		return "", err
	}
	if len(b) > MaxPhotoBytes {
		return "", httpx.WithStatus(http.StatusRequestEntityTooLarge,
			apierr.Field("body", "the photo is %d bytes; the limit is %d bytes (1 MiB): send a smaller one", len(b), MaxPhotoBytes))
	}
	ct := http.DetectContentType(b)
	if ct != "image/jpeg" && ct != "image/png" {
		return "", httpx.WithStatus(http.StatusUnsupportedMediaType,
			apierr.Field("body", "not a JPEG or PNG image (the bytes look like %s)", ct))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return "", httpx.WithStatus(http.StatusUnsupportedMediaType, apierr.Field("body", "the %s image cannot be read: %v", ct, err))
	}
	sum := sha256.Sum256(b)
	sha := hex.EncodeToString(sum[:])
	p := Photo{RoundID: roundID, ContentType: ct, Bytes: len(b), Width: cfg.Width, Height: cfg.Height, SHA256: sha,
		Data: base64.StdEncoding.EncodeToString(b), AddedAt: s.now().Format(time.RFC3339)}
	id := roundID + "/" + sha[:16]
	if _, err := s.Store.Doc(ctx, KindPhoto, id); err == nil {
		return id, nil
	}
	body, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	if _, err := s.Store.WriteDocs(ctx, []edit.DocWrite{{Kind: KindPhoto, ID: id, Body: body, ExpectVersion: edit.AnyVersion}},
		edit.MetaFor(ctx, "create")); err != nil {
		return "", err
	}
	return id, nil
}

// PhotoData returns a stored photo's bytes and type.
func (s *Service) PhotoData(ctx context.Context, id string) ([]byte, string, error) {
	d, err := s.Store.Doc(ctx, KindPhoto, id)
	if err != nil {
		return nil, "", fmt.Errorf("photo %q: %w", id, err)
	}
	p, err := edit.DecodeDoc[Photo](d)
	if err != nil {
		return nil, "", err
	}
	b, err := base64.StdEncoding.DecodeString(p.Data)
	return b, p.ContentType, err
}

// AddLineFinding stores a line finding (inspector) as "<round>/L<nnn>", numbered on from the round's last. Its segment
// is from_marker–to_marker (one of them: at that marker) or the chainages from_m < to_m (metres from the line's first
// vertex in its projected CRS, within the line); what changed or the construction across the line is required.
func (s *Service) AddLineFinding(ctx context.Context, roundID string, lf LineFinding) (LineFinding, error) {
	if err := edit.Require(ctx, edit.RoleInspector); err != nil {
		return LineFinding{}, err
	}
	rd, err := s.Round(ctx, roundID)
	if err != nil {
		return LineFinding{}, err
	}
	var bad apierr.Invalid
	if strings.TrimSpace(lf.Change) == "" && strings.TrimSpace(lf.Construction) == "" {
		bad.Add("change", "say what changed on the segment (or the construction across the line)")
	}
	markers, err := s.Store.Markers(ctx, rd.LineID)
	if err != nil {
		return LineFinding{}, err
	}
	// The segment: between two markers (or at one), else by chainage along the line in its projected CRS, within it.
	if lf.FromMarker == "" && lf.ToMarker == "" {
		length, err := s.lineLength(ctx, rd.LineID, markers)
		if err != nil {
			return LineFinding{}, err
		}
		switch {
		case lf.FromM < 0 || math.IsNaN(lf.FromM) || lf.ToM <= lf.FromM:
			bad.Add("to_m", "the segment needs from_marker/to_marker, or chainages 0 ≤ from_m < to_m in metres (got %v, %v)", lf.FromM, lf.ToM)
		case lf.ToM > length+0.5:
			bad.Add("to_m", "%.2f m is beyond the end of line %s (%.2f m long)", lf.ToM, rd.LineID, length)
		}
	} else if lf.FromM != 0 || lf.ToM != 0 {
		bad.Add("from_m", "give the segment by markers or by chainages, not both")
	}
	known := map[string]bool{}
	for _, m := range markers {
		known[m.Number] = true
	}
	for _, f := range []struct{ name, v string }{{"from_marker", lf.FromMarker}, {"to_marker", lf.ToMarker}} {
		if f.v != "" && !known[f.v] {
			bad.Add(f.name, "marker %q is not on line %s", f.v, rd.LineID)
		}
	}
	if len(bad) > 0 {
		return LineFinding{}, bad
	}
	existing, err := s.Store.Docs(ctx, KindLineFinding, rd.ID+"/L")
	if err != nil {
		return LineFinding{}, err
	}
	lf.RoundID = rd.ID
	lf.ID = fmt.Sprintf("%s/L%03d", rd.ID, len(existing)+1)
	b, err := json.Marshal(lf)
	if err != nil {
		return LineFinding{}, err
	}
	if _, err := s.Store.WriteDocs(ctx, []edit.DocWrite{{Kind: KindLineFinding, ID: lf.ID, Body: b}}, edit.MetaFor(ctx, "create")); err != nil {
		return LineFinding{}, err
	}
	return lf, nil
}

// lineLength is the length of a line in metres in the CRS its checks use (lineCRS), as chainages are measured.
func (s *Service) lineLength(ctx context.Context, lineID string, markers []gazetteer.Marker) (float64, error) {
	line, err := s.Store.BoundaryLine(ctx, lineID)
	if err != nil {
		return 0, err
	}
	crs, err := lineCRS(line, markers)
	if err != nil {
		return 0, err
	}
	pl, err := projectLine(crs, line.Geometry)
	if err != nil {
		return 0, err
	}
	return pl.length(), nil
}
