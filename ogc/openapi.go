package ogc

import (
	"strings"

	"civmap/ogc/cql2"
)

// OpenAPI returns the OpenAPI 3.0.3 document of /ogc (OGC API – Features Part 1 §7.3 "oas30"), with servers[0] =
// baseURL + "/ogc" and paths relative to it (/collections/…), as GDAL's OAPIF driver looks them up. Every collection has its own items paths, so that its property filters (its queryables) are listed as
// parameters.
func OpenAPI(baseURL string) map[string]any {
	ref := func(kind, name string) map[string]any {
		return map[string]any{"$ref": "#/components/" + kind + "/" + name}
	}
	jsonContent := func(schema string) map[string]any {
		return map[string]any{"application/json": map[string]any{"schema": ref("schemas", schema)}}
	}
	resp := func(desc string, content map[string]any) map[string]any {
		r := map[string]any{"description": desc}
		if content != nil {
			r["content"] = content
		}
		return r
	}
	problem := map[string]any{"application/problem+json": map[string]any{"schema": ref("schemas", "problem")}}
	errors := func(r map[string]any, codes ...string) map[string]any {
		for _, c := range codes {
			switch c {
			case "400":
				r[c] = resp("A parameter is malformed or unsupported; the problem names it.", problem)
			case "404":
				r[c] = resp("No such collection or feature.", problem)
			case "413":
				r[c] = resp("The filter is too long.", problem)
			}
		}
		return r
	}
	fParam := ref("parameters", "f")
	op := func(id, summary string, params []any, responses map[string]any) map[string]any {
		return map[string]any{"get": map[string]any{"operationId": id, "summary": summary, "tags": []string{"OGC API – Features"},
			"parameters": append(params, fParam), "responses": responses}}
	}
	str := func(desc string) map[string]any {
		return map[string]any{"type": "string", "description": desc}
	}
	query := func(name string, schema map[string]any, desc string) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": false, "schema": schema, "description": desc,
			"style": "form", "explode": false}
	}
	crsEnum := map[string]any{"type": "string", "format": "uri", "enum": CRSURIs(), "default": CRS84}
	params := map[string]any{
		"f": query("f", map[string]any{"type": "string", "enum": []string{"json", "html"}},
			"The representation: json (GeoJSON for features) or html; without it, the Accept header decides."),
		"bbox": query("bbox", map[string]any{"type": "array", "minItems": 4, "maxItems": 4,
			"items": map[string]any{"type": "number"}},
			"minx,miny,maxx,maxy in the axis order of bbox-crs (CRS84: lon,lat degrees). Features whose geometry intersects it."),
		"bbox-crs": query("bbox-crs", crsEnum, "The CRS of bbox (OGC API – Features Part 2)."),
		"crs":      query("crs", crsEnum, "The CRS of the response's geometries (Part 2); the Content-Crs header repeats it."),
		"limit": query("limit", map[string]any{"type": "integer", "minimum": 1, "maximum": MaxLimit, "default": DefaultLimit},
			"Features per page; outside 1…10000 is a 400 (never clamped)."),
		"cursor":   query("cursor", str("opaque"), "Paging position: follow the next and prev links."),
		"datetime": query("datetime", str("RFC 3339"), "An instant or interval (a/b, .. open) on the dated property (updated_at)."),
		"filter":   query("filter", str("CQL2"), "A CQL2 filter (Part 3): Basic CQL2, LIKE, IN, BETWEEN, S_INTERSECTS, S_WITHIN."),
		"filter-lang": query("filter-lang", map[string]any{"type": "string", "enum": []string{"cql2-text", "cql2-json", "cql-text"},
			"default": "cql2-text"}, "The encoding of filter; cql-text (the Part 3 draft's name, which GDAL 3.6 sends) is cql2-text."),
		"filter-crs": query("filter-crs", crsEnum, "The CRS of the filter's geometry literals."),
	}
	for _, p := range params {
		if q, ok := p.(map[string]any); ok {
			if s := q["schema"].(map[string]any); s["type"] != "array" {
				delete(q, "style")
				delete(q, "explode")
			}
		}
	}
	link := map[string]any{"type": "object", "required": []string{"href", "rel"}, "properties": map[string]any{
		"href": map[string]any{"type": "string"}, "rel": map[string]any{"type": "string"},
		"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"}}}
	links := map[string]any{"type": "array", "items": ref("schemas", "link")}
	geometry := map[string]any{"type": "object", "nullable": true, "required": []string{"type"},
		"properties": map[string]any{"type": map[string]any{"type": "string", "enum": []string{"Point", "MultiPoint",
			"LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}},
			"coordinates": map[string]any{"type": "array", "items": map[string]any{}},
			"geometries":  map[string]any{"type": "array", "items": map[string]any{"type": "object"}}}}
	feature := map[string]any{"type": "object", "required": []string{"type", "geometry", "properties"},
		"properties": map[string]any{"type": map[string]any{"type": "string", "enum": []string{"Feature"}},
			"id": map[string]any{"type": "string"}, "geometry": ref("schemas", "geometry"),
			"properties": map[string]any{"type": "object", "nullable": true}, "links": links}}
	fc := map[string]any{"type": "object", "required": []string{"type", "features"},
		"properties": map[string]any{"type": map[string]any{"type": "string", "enum": []string{"FeatureCollection"}},
			"features": map[string]any{"type": "array", "items": ref("schemas", "feature")}, "links": links,
			"timeStamp":      map[string]any{"type": "string", "format": "date-time"},
			"numberMatched":  map[string]any{"type": "integer", "minimum": 0},
			"numberReturned": map[string]any{"type": "integer", "minimum": 0}}}
	collection := map[string]any{"type": "object", "required": []string{"id", "links"},
		"properties": map[string]any{"id": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
			"description": map[string]any{"type": "string"}, "links": links, "itemType": map[string]any{"type": "string"},
			"crs":        map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"storageCrs": map[string]any{"type": "string"}, "extent": map[string]any{"type": "object"}}}
	schemas := map[string]any{
		"link": link, "geometry": geometry, "feature": feature, "featureCollection": fc, "collection": collection,
		"collections": map[string]any{"type": "object", "required": []string{"links", "collections"},
			"properties": map[string]any{"links": links, "crs": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
				"collections": map[string]any{"type": "array", "items": ref("schemas", "collection")}}},
		"landingPage": map[string]any{"type": "object", "required": []string{"links"},
			"properties": map[string]any{"title": map[string]any{"type": "string"},
				"description": map[string]any{"type": "string"}, "links": links}},
		"confClasses": map[string]any{"type": "object", "required": []string{"conformsTo"},
			"properties": map[string]any{"conformsTo": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}},
		"queryables": map[string]any{"type": "object", "properties": map[string]any{
			"properties": map[string]any{"type": "object"}}},
		"problem": map[string]any{"type": "object", "properties": map[string]any{
			"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
			"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"},
			"errors": map[string]any{"type": "array", "items": map[string]any{"type": "object"}}}},
	}
	geoJSON := func(schema string) map[string]any {
		return map[string]any{"application/geo+json": map[string]any{"schema": ref("schemas", schema)},
			"text/html": map[string]any{"schema": map[string]any{"type": "string"}}}
	}
	contentCrs := map[string]any{"Content-Crs": map[string]any{"description": "The CRS of the geometries, <URI>.",
		"schema": map[string]any{"type": "string"}}}
	paths := map[string]any{
		"/": op("getLandingPage", "Landing page", nil, map[string]any{"200": resp("Links to the API.", jsonContent("landingPage"))}),
		"/conformance": op("getConformance", "Conformance classes", nil,
			map[string]any{"200": resp("The conformance classes.", jsonContent("confClasses"))}),
		"/api": op("getAPI", "This document", nil, map[string]any{"200": resp("OpenAPI 3.0.",
			map[string]any{"application/vnd.oai.openapi+json;version=3.0": map[string]any{"schema": map[string]any{"type": "object"}}})}),
		"/collections": op("getCollections", "The feature collections", nil,
			map[string]any{"200": resp("Every collection.", jsonContent("collections"))}),
	}
	for _, c := range AllCollections() {
		p := "/collections/" + c.ID
		id := strings.ReplaceAll(c.ID, "_", "")
		paths[p] = op("describe"+id, c.Title, nil, errors(map[string]any{"200": resp(c.Title, jsonContent("collection"))}, "404"))
		paths[p+"/queryables"] = op("queryables"+id, c.Title+" 可查询属性", nil, errors(map[string]any{"200": resp("JSON Schema.",
			map[string]any{"application/schema+json": map[string]any{"schema": ref("schemas", "queryables")}})}, "404"))
		itemParams := []any{ref("parameters", "bbox"), ref("parameters", "bbox-crs"), ref("parameters", "crs"),
			ref("parameters", "limit"), ref("parameters", "cursor"), ref("parameters", "filter"),
			ref("parameters", "filter-lang"), ref("parameters", "filter-crs")}
		if c.Temporal != "" {
			itemParams = append(itemParams, ref("parameters", "datetime"))
		}
		for _, q := range c.Queryables {
			if q.Type == cql2.TypeGeometry {
				continue
			}
			s := map[string]any{"type": string(q.Type)}
			if q.Type == cql2.TypeTime {
				s = map[string]any{"type": "string", "format": "date-time"}
			}
			if len(q.Enum) > 0 {
				s["enum"] = q.Enum
			}
			itemParams = append(itemParams, query(q.Name, s, q.Title+"：等于此值的要素"))
		}
		ok := resp(c.Title+" features.", geoJSON("featureCollection"))
		ok["headers"] = contentCrs
		paths[p+"/items"] = op("getFeatures"+id, c.Title+" 要素", itemParams, errors(map[string]any{"200": ok}, "400", "404", "413"))
		one := resp("One feature.", geoJSON("feature"))
		one["headers"] = contentCrs
		paths[p+"/items/{featureId}"] = op("getFeature"+id, c.Title+" 单个要素",
			[]any{map[string]any{"name": "featureId", "in": "path", "required": true, "schema": map[string]any{"type": "string"},
				"description": "The feature's key (" + c.Key + ")."}, ref("parameters", "crs")},
			errors(map[string]any{"200": one}, "400", "404"))
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "civmap OGC API – Features", "version": "1.0.0",
			"description": "OGC API – Features Parts 1, 2 and 3 (CQL2) over civmap's gazetteer and facilities."},
		"servers":    []any{map[string]any{"url": baseURL + "/ogc"}},
		"paths":      paths,
		"components": map[string]any{"parameters": params, "schemas": schemas},
	}
}
