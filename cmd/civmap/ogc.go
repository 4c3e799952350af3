package main

import (
	"github.com/gorilla/mux"

	"civmap/data"
	"civmap/ogc"
	"civmap/web"
)

// ogcRoutes serves OGC API – Features at /ogc (package ogc) from the store.
func ogcRoutes(r *mux.Router, st data.Store) {
	fs, ok := st.(ogc.FeatureStore)
	if !ok {
		return
	}
	if web.Built() { // the map client's build holds assets/ogc-map.js (web/vite.config.js)
		ogc.MapScript = "/assets/ogc-map.js"
	}
	ogc.Routes(r, fs)
}

// spatialRoutes serves the spatial queries at /api/spatial (package ogc) from the store.
func spatialRoutes(r *mux.Router, st data.Store) {
	if fs, ok := st.(ogc.FeatureStore); ok {
		ogc.SpatialRoutes(r, fs)
	}
}
