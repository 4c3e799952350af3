package ogc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"time"
)

// The HTML pages (OGC API – Features Part 1 §7.2.3 "HTML") for a person with a browser: Chinese titles, a table of
// properties, and on item pages a small map (MapLibre GL JS from the map client's build, MapScript) of the features.

// MapScript is the path of the map client's module that draws the features of an HTML page: it reads the GeoJSON in
// the element #features and draws it over the civmap style. Empty (the default) leaves the map out; cmd/civmap sets
// it when the web build holds the module.
var MapScript = ""

const layout = `{{define "head"}}<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}} · civmap OGC API</title>
<style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}
#map{height:24rem;margin:1rem 0;border:1px solid #ccc}nav a{margin-right:1rem}</style></head><body>
<nav><a href="/ogc?f=html">首页</a><a href="/ogc/collections?f=html">要素集合</a><a href="/ogc/api?f=html">API</a><a href="/ogc/conformance?f=html">符合性</a></nav>
<h1>{{.Title}}</h1>{{end}}
{{define "foot"}}<p><a href="?f=json">JSON</a></p></body></html>{{end}}
{{define "links"}}<ul>{{range .}}<li><a href="{{.Href}}">{{if .Title}}{{.Title}}{{else}}{{.Rel}}{{end}}</a> <small>({{.Rel}}{{if .Type}}, {{.Type}}{{end}})</small></li>{{end}}</ul>{{end}}
{{define "map"}}{{if .MapScript}}<div id="map"></div><script type="application/json" id="features">{{.GeoJSON}}</script>
<script type="module" src="{{.MapScript}}"></script>{{end}}{{end}}

{{define "landing"}}{{template "head" .}}<p>{{.Description}}</p>{{template "links" .Links}}{{template "foot"}}{{end}}
{{define "conformance"}}{{template "head" .}}<ul>{{range .ConformsTo}}<li>{{.}}</li>{{end}}</ul>{{template "foot"}}{{end}}
{{define "collections"}}{{template "head" .}}<table><tr><th>集合</th><th>名称</th><th>说明</th><th>范围（CRS84）</th></tr>
{{range .Collections}}<tr><td><a href="/ogc/collections/{{.ID}}?f=html">{{.ID}}</a></td><td>{{.Title}}</td><td>{{.Description}}</td><td>{{.BBox}}</td></tr>{{end}}</table>
<p>坐标参照系：{{range .CRS}}<br><code>{{.}}</code>{{end}}</p>{{template "foot"}}{{end}}
{{define "collection"}}{{template "head" .}}<p>{{.Description}}</p><p>存储坐标系 <code>{{.StorageCRS}}</code>；空间范围 {{.BBox}}{{if .Temporal}}；时间范围 {{.Temporal}}{{end}}</p>{{template "links" .Links}}{{template "foot"}}{{end}}
{{define "queryables"}}{{template "head" .}}<table><tr><th>属性</th><th>类型</th><th>说明</th><th>取值</th></tr>
{{range .C.Queryables}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Title}}</td><td>{{range .Enum}}{{.}} {{end}}</td></tr>{{end}}</table>{{template "foot"}}{{end}}
{{define "openapi"}}{{template "head" .}}<p>OpenAPI 3.0：<a href="/ogc/api?f=json">/ogc/api?f=json</a></p>{{template "foot"}}{{end}}
{{define "items"}}{{template "head" .}}<p>共 {{.Matched}} 个要素，本页 {{.Returned}} 个。{{range .Links}}{{if or (eq .Rel "next") (eq .Rel "prev")}} <a href="{{.Href}}">{{.Title}}</a>{{end}}{{end}}</p>
{{template "map" .}}<table><tr><th>编号</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td><a href="{{.Href}}">{{.ID}}</a></td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{template "foot"}}{{end}}
{{define "item"}}{{template "head" .}}{{template "map" .}}<table>{{range .Props}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>{{end}}</table>
{{template "links" .Links}}{{template "foot"}}{{end}}`

var pages = template.Must(template.New("ogc").Parse(layout))

func renderHTML(w http.ResponseWriter, page string, data any) error {
	doc, _ := data.(map[string]any)
	if doc != nil {
		data = htmlData(page, doc)
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, page, data); err != nil {
		return fmt.Errorf("ogc: html %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := w.Write(buf.Bytes())
	return err
}

// htmlData turns a JSON document of the landing, conformance, collections or collection page into its template's data.
func htmlData(page string, doc map[string]any) any {
	if _, ok := doc["Title"]; ok {
		return doc
	}
	title, _ := doc["title"].(string)
	out := map[string]any{"Title": title, "Description": doc["description"], "Links": doc["links"],
		"ConformsTo": doc["conformsTo"], "CRS": doc["crs"], "StorageCRS": doc["storageCrs"]}
	switch page {
	case "conformance":
		out["Title"] = "符合性类"
	case "collections":
		out["Title"] = "要素集合"
		var cs []map[string]any
		for _, c := range doc["collections"].([]map[string]any) {
			cs = append(cs, map[string]any{"ID": c["id"], "Title": c["title"], "Description": c["description"],
				"BBox": bboxText(c)})
		}
		out["Collections"] = cs
	case "collection":
		out["BBox"] = bboxText(doc)
		if ext, ok := doc["extent"].(map[string]any); ok {
			if t, ok := ext["temporal"].(map[string]any); ok {
				out["Temporal"] = fmt.Sprint(t["interval"])
			}
		}
	}
	return out
}

func bboxText(c map[string]any) string {
	ext, _ := c["extent"].(map[string]any)
	sp, _ := ext["spatial"].(map[string]any)
	bb, _ := sp["bbox"].([][]float64)
	if len(bb) == 0 {
		return "—"
	}
	b := bb[0]
	return fmt.Sprintf("%.5f, %.5f – %.5f, %.5f", b[0], b[1], b[2], b[3])
}

func display(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.Format(time.RFC3339)
	case float64:
		return fmt.Sprint(x)
	case []string:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

func featuresGeoJSON(p Page) template.JS {
	b, err := encodeCollection(p, nil, SupportedCRS[0], time.Now())
	if err != nil {
		return "null"
	}
	// The script element holds JSON: escape "<" so no "</script>" inside a name can close it.
	return template.JS(bytes.ReplaceAll(b, []byte("<"), []byte(`\u003c`)))
}

func renderItemsHTML(w http.ResponseWriter, c *Collection, p Page, links []Link) error {
	var cols []string
	for _, q := range c.Queryables {
		if q.Name != GeometryProperty && q.Name != c.Key {
			cols = append(cols, q.Name)
		}
	}
	type row struct {
		ID, Href string
		Values   []string
	}
	rows := make([]row, len(p.Features))
	for i, f := range p.Features {
		rows[i] = row{ID: f.ID, Href: "/ogc/collections/" + c.ID + "/items/" + url.PathEscape(f.ID) + "?f=html"}
		for _, k := range cols {
			rows[i].Values = append(rows[i].Values, display(f.Properties[k]))
		}
	}
	for i := range links {
		if links[i].Rel == "next" || links[i].Rel == "prev" {
			links[i].Href += "&f=html"
		}
	}
	return renderHTML(w, "items", map[string]any{"Title": c.Title, "Matched": p.NumberMatched,
		"Returned": len(p.Features), "Links": links, "Columns": cols, "Rows": rows,
		"MapScript": MapScript, "GeoJSON": featuresGeoJSON(p)})
}

func renderItemHTML(w http.ResponseWriter, c *Collection, f Feature, links []Link) error {
	type prop struct{ Name, Value string }
	var props []prop
	for k, v := range f.Properties {
		props = append(props, prop{k, display(v)})
	}
	sort.Slice(props, func(i, j int) bool { return props[i].Name < props[j].Name })
	return renderHTML(w, "item", map[string]any{"Title": c.Title + " " + f.ID, "Props": props, "Links": links,
		"MapScript": MapScript, "GeoJSON": featuresGeoJSON(Page{Features: []Feature{f}})})
}
