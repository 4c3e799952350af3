// Package web serves the civmap map client: the static files that Vite builds from this folder into dist/ (MapLibre GL JS
// and the planners' page), embedded into the binary at compile time.
//
// dist/ always exists in git (it holds a committed README.md that the build writes back unchanged), so the package
// compiles on a machine without Node.js. A binary built before the client was built serves, at /, a short page in
// Chinese and English saying how to build it (`make run`, or `cd web && npm ci && npm run build` and rebuild civmap).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the embedded client: GET and HEAD of / (index.html) and of the built files, with their content types,
// strong ETags (SHA-256 of the content) and cache headers (hashed files under assets/ are immutable; the rest revalidate).
// Unknown paths are 404, other methods 405. When the client was not built into this binary, / answers 200 with a page
// that says how to build it, and every other path is 404.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // cannot happen: "dist" is a valid path
		panic(err)
	}
	return newHandler(sub)
}

// Built reports whether the client was built into this binary (dist/index.html was present at compile time).
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// Has reports whether the built client holds the file at name (a path under dist/, e.g. "sprite/facilities.json").
func Has(name string) bool {
	_, err := fs.Stat(dist, path.Join("dist", name))
	return err == nil
}

type file struct {
	data  []byte
	ctype string
	etag  string
	cache string
}

type handler struct {
	files map[string]*file // by URL path without the leading slash
	built bool
}

// contentTypes pins the types browsers are strict about (module scripts and workers must be JavaScript), rather than
// trusting the machine's mime tables.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".wasm":  "application/wasm",
	".woff2": "font/woff2",
	".md":    "text/markdown; charset=utf-8",
	".txt":   "text/plain; charset=utf-8",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func newHandler(fsys fs.FS) *handler {
	h := &handler{files: map[string]*file{}}
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || name == "README.md" { // README.md is the placeholder git keeps, not part of the page
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(data)
		cache := "no-cache"
		if strings.HasPrefix(name, "assets/") {
			cache = "public, max-age=31536000, immutable"
		}
		h.files[name] = &file{data: data, ctype: contentType(name), etag: `"` + hex.EncodeToString(sum[:16]) + `"`, cache: cache}
		return nil
	})
	_, h.built = h.files["index.html"]
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if !h.built {
		if name == "index.html" {
			h.serve(w, r, "index.html", notBuilt)
			return
		}
		http.NotFound(w, r)
		return
	}
	f, ok := h.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.serve(w, r, name, f)
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, name string, f *file) {
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	hd.Set("Cache-Control", f.cache)
	hd.Set("ETag", f.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	// ServeContent answers If-None-Match (304) and Range requests from the ETag and the content.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
}

// notBuilt is the page served at / when the client was not built into the binary.
var notBuilt = func() *file {
	data := []byte(notBuiltHTML)
	sum := sha256.Sum256(data)
	return &file{data: data, ctype: "text/html; charset=utf-8", etag: `"` + hex.EncodeToString(sum[:16]) + `"`, cache: "no-cache"}
}()

const notBuiltHTML = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>civmap：地图客户端尚未构建 / map client not built</title>
<style>
body{font-family:system-ui,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;line-height:1.6;color:#1f2933}
code,pre{background:#f1f3f5;border-radius:4px;padding:.1rem .3rem}pre{padding:.6rem .8rem;overflow-x:auto}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
</style>
</head>
<body>
<h1>地图客户端尚未构建</h1>
<p>这个 civmap 程序编译时 <code>web/dist</code> 中还没有地图页面（构建需要 Node.js 20 和 npm）。API 照常可用，例如 <a href="/api/places">/api/places</a>、<a href="/readyz">/readyz</a>。</p>
<p>在源码目录中构建地图客户端，再重新编译 civmap：</p>
<pre>make run</pre>
<p>或者分步执行：</p>
<pre>cd web &amp;&amp; npm ci &amp;&amp; npm run build &amp;&amp; cd ..
go build -o bin/civmap ./cmd/civmap</pre>
<h2>Map client not built</h2>
<p>This civmap binary was compiled before the map client was built into <code>web/dist</code> (building it needs Node.js 20 and npm). The API works as usual.</p>
<p>Build the client, then rebuild civmap: run <code>make run</code>, or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> and then <code>go build -o bin/civmap ./cmd/civmap</code>.</p>
</body>
</html>
`
