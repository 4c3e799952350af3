package main

import (
	"flag"
	"fmt"

	"github.com/gorilla/mux"

	"civmap/data/sample"
	"civmap/tiles"
	"civmap/tiles/basemap"
	"civmap/web"
)

// basemapFlags are serve's basemap options (tiles/basemap).
type basemapFlags struct {
	file, url, key, attribution string
}

func addBasemapFlags(fs *flag.FlagSet) *basemapFlags {
	var b basemapFlags
	stringVar(fs, &b.file, "basemap", "CIVMAP_BASEMAP", "", "a local PMTiles archive to draw under the county's layers (vector tiles in the Protomaps basemap schema, or raster)")
	stringVar(fs, &b.url, "basemap-url", "CIVMAP_BASEMAP_URL", "", "an online raster tile template ({z}/{x}/{y} or WMTS {TileMatrix}/{TileCol}/{TileRow}, {s}, {key}), e.g. 天地图 img_w/vec_w; proxied, so the key stays on the server; 高德/腾讯/百度 (GCJ-02/BD-09) are refused")
	stringVar(fs, &b.key, "basemap-key", "CIVMAP_BASEMAP_KEY", "", "the key that fills {key} in --basemap-url (prefer the environment variable: flags show in ps)")
	stringVar(fs, &b.attribution, "basemap-attribution", "CIVMAP_BASEMAP_ATTRIBUTION", "", "the online basemap's credit, e.g. 天地图 © 国家基础地理信息中心")
	return &b
}

// open builds the basemap server — always the offline land of the county and its neighbours (the bundled
// neighbour_counties.geojson), plus the archive and the online raster when given — and sets what the style draws in
// opts: the basemap and, when the client was built with it, the facility sprite.
func (b *basemapFlags) open(opts *tiles.Options) (*basemap.Server, error) {
	land, err := sample.File("neighbour_counties.geojson")
	if err != nil {
		return nil, fmt.Errorf("basemap land: %w", err)
	}
	srv, err := basemap.New(basemap.Options{Land: land, PMTiles: b.file, URL: b.url, Key: b.key,
		Attribution: b.attribution})
	if err != nil {
		return nil, err
	}
	opts.Basemap = srv.Style()
	if web.Has("sprite/facilities.json") {
		opts.Basemap.SpriteURL = "/sprite/facilities"
	}
	return srv, nil
}

// basemapRoutes registers the basemap server's routes (newRouter's extra routes).
func basemapRoutes(srv *basemap.Server) func(*mux.Router) {
	return func(r *mux.Router) { srv.Routes(r) }
}
