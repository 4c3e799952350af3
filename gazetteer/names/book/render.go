package book

import (
	"archive/zip"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"civmap/gazetteer"
)

//go:embed book.html.tmpl
var tmplFS embed.FS

var htmlTmpl = template.Must(template.New("book.html.tmpl").Funcs(template.FuncMap{
	"formers": formerText,
}).ParseFS(tmplFS, "book.html.tmpl"))

// formerText writes former names as "旧名（1950—1984）、…".
func formerText(fs []gazetteer.FormerName) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Name
		if f.From != "" || f.To != "" {
			parts[i] += "（" + f.From + "—" + f.To + "）"
		}
	}
	return strings.Join(parts, "、")
}

// WriteJSON writes the book as JSON.
func (b *Book) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b)
}

// WriteHTML writes the book as one printable HTML page (A4, a chapter per township, table of contents and index by
// pinyin with links to the entries).
func (b *Book) WriteHTML(w io.Writer) error { return htmlTmpl.Execute(w, b) }

// ErrNoChromium is returned by WritePDF when no Chromium is installed.
var ErrNoChromium = errors.New("PDF output needs Chromium (chromium or chromium-browser on PATH, or CIVMAP_CHROMIUM)")

// Chromium is the path of the Chromium binary used for PDF output, or "".
func Chromium() string {
	if p := os.Getenv("CIVMAP_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// WritePDF renders the HTML with `chromium --headless --print-to-pdf` (A4 from the page's @page rule) and writes the
// PDF. It gives up after 2 minutes or when ctx ends.
func (b *Book) WritePDF(ctx context.Context, w io.Writer) error {
	bin := Chromium()
	if bin == "" {
		return ErrNoChromium
	}
	dir, err := os.MkdirTemp("", "civmap-book-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	html, pdf := filepath.Join(dir, "book.html"), filepath.Join(dir, "book.pdf")
	var buf bytes.Buffer
	if err := b.WriteHTML(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(html, buf.Bytes(), 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--print-to-pdf="+pdf, "file://"+html)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("chromium --print-to-pdf: %w: %s", err, lastLine(stderr.String()))
	}
	out, err := os.ReadFile(pdf)
	if err != nil {
		return fmt.Errorf("chromium wrote no PDF: %w: %s", err, lastLine(stderr.String()))
	}
	_, err = w.Write(out)
	return err
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// WriteDOCX writes the book as a WordprocessingML document (ECMA-376, the parts Word needs: content types, package
// relationships, the document and its styles): Title, Heading1 per township, Heading2 per category, Heading3 per entry
// with its paragraphs, a TOC field (Word fills it on "update field") and the index by pinyin.
func (b *Book) WriteDOCX(w io.Writer) error {
	var body bytes.Buffer
	p := func(style, text string) {
		body.WriteString(`<w:p>`)
		if style != "" {
			fmt.Fprintf(&body, `<w:pPr><w:pStyle w:val="%s"/></w:pPr>`, style)
		}
		body.WriteString(`<w:r><w:t xml:space="preserve">`)
		xml.EscapeText(&body, []byte(text))
		body.WriteString(`</w:t></w:r></w:p>`)
	}
	p("Title", b.Title)
	p("", "生成时间："+b.Generated.Format("2006-01-02 15:04 MST"))
	p("Heading1", "目录")
	body.WriteString(`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> TOC \o "1-2" \h </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>（在 Word 中右键“更新域”生成目录）</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`)
	for _, t := range b.Townships {
		p("Heading1", t.Name+" "+t.Pinyin)
		for _, c := range t.Categories {
			p("Heading2", c.Name)
			for _, e := range c.Entries {
				p("Heading3", e.Name+" "+e.Pinyin)
				p("", "类别："+e.Category)
				p("", "位置："+e.Location)
				if e.Meaning != "" {
					p("", "含义："+e.Meaning)
				}
				if e.History != "" {
					p("", "历史沿革："+e.History)
				}
				if len(e.FormerNames) > 0 {
					p("", "曾用名："+formerText(e.FormerNames))
				}
			}
		}
	}
	p("Heading1", "拼音索引")
	for _, ix := range b.Index {
		p("", ix.Pinyin+"　"+ix.Name+"　"+ix.Township)
	}
	zw := zip.NewWriter(w)
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
		{"word/styles.xml", stylesXML},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() +
			`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1304" w:bottom="1440" w:left="1304" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>`},
	}
	for _, f := range files {
		fw, err := zw.Create(f.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(fw, f.body); err != nil {
			return err
		}
	}
	return zw.Close()
}

const stylesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="SimSun"/><w:sz w:val="22"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault></w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:pPr><w:spacing w:after="60"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:jc w:val="center"/><w:spacing w:after="240"/></w:pPr><w:rPr><w:rFonts w:eastAsia="SimHei"/><w:b/><w:sz w:val="44"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:pageBreakBefore/><w:outlineLvl w:val="0"/><w:spacing w:before="240" w:after="120"/></w:pPr><w:rPr><w:rFonts w:eastAsia="SimHei"/><w:b/><w:sz w:val="36"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:outlineLvl w:val="1"/><w:spacing w:before="200" w:after="80"/></w:pPr><w:rPr><w:rFonts w:eastAsia="SimHei"/><w:b/><w:sz w:val="28"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading3"><w:name w:val="heading 3"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:outlineLvl w:val="2"/><w:spacing w:before="160" w:after="40"/></w:pPr><w:rPr><w:b/><w:sz w:val="24"/></w:rPr></w:style>
</w:styles>`
