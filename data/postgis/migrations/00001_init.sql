-- The civmap schema. Geometry is CGCS2000 lon/lat (SRID 4490, degrees). Keys and the columns that lists are ordered by use
-- COLLATE "C" so that ORDER BY is byte order (as in the embedded store) and can use the primary-key index.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Administrative divisions. geom is a (Multi)Polygon for the county and townships and a Point for village-level units;
-- anchor is the point the nearest-village search measures to: geom when it is a point, else the seat.
CREATE TABLE divisions (
    code        text COLLATE "C" PRIMARY KEY,
    name        text NOT NULL,
    level       text COLLATE "C" NOT NULL,
    kind        text NOT NULL,
    parent_code text COLLATE "C" NOT NULL DEFAULT '',
    geom        geometry(Geometry, 4490),
    seat        geometry(Point, 4490),
    anchor      geometry(Point, 4490)
);
CREATE INDEX divisions_level_idx ON divisions (level, code);
CREATE INDEX divisions_parent_idx ON divisions (parent_code, code);
CREATE INDEX divisions_geom_idx ON divisions USING gist (geom);
CREATE INDEX divisions_township_geom_idx ON divisions USING gist (geom) WHERE level = 'township';
CREATE INDEX divisions_village_anchor_idx ON divisions USING gist (anchor) WHERE level = 'village';

-- Place-name records, current versions. A bulk Import drops and rebuilds the secondary indexes (see import.go). doc holds the fields that are not columns (gazetteer.Place as JSON without them).
-- search_text is gazetteer.SearchText (already lower-cased); division_prefixes holds each division code's prefixes at the
-- GB/T 2260/10114 code lengths (2, 4, 6, 9, 12) and the whole code, so that the "starts with" filter is an indexed @>.
CREATE TABLE places (
    id                text COLLATE "C" PRIMARY KEY,
    name              text NOT NULL,
    category          text COLLATE "C" NOT NULL,
    status            text COLLATE "C" NOT NULL,
    division_codes    text[],
    division_prefixes text[],
    search_text       text NOT NULL,
    geom              geometry(Geometry, 4490),
    doc               jsonb NOT NULL,
    version           bigint NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX places_search_trgm_idx ON places USING gin (search_text gin_trgm_ops);
CREATE INDEX places_geom_idx ON places USING gist (geom);
CREATE INDEX places_division_idx ON places USING gin (division_prefixes);
-- Every place query filters on status (current and historical by default), so one (status, category) index serves both
-- the status and the category filter, at half the write cost of two.
CREATE INDEX places_status_category_idx ON places (status, category);

-- Superseded versions of places (the current one stays in places).
CREATE TABLE place_versions (
    id             text COLLATE "C" NOT NULL REFERENCES places (id),
    version        bigint NOT NULL,
    name           text NOT NULL,
    category       text NOT NULL,
    status         text NOT NULL,
    division_codes text[],
    geom           geometry(Geometry, 4490),
    doc            jsonb NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (id, version)
);

-- Boundary lines (界线): LineString or MultiLineString.
CREATE TABLE boundary_lines (
    id                  text COLLATE "C" PRIMARY KEY,
    name                text NOT NULL,
    left_code           text NOT NULL,
    right_code          text NOT NULL,
    right_name          text NOT NULL DEFAULT '',
    geom                geometry(Geometry, 4490),
    registered_length_m double precision NOT NULL DEFAULT 0
);
CREATE INDEX boundary_lines_geom_idx ON boundary_lines USING gist (geom);

-- Boundary markers (界桩), keyed by their number (unique in the register, e.g. 象宁006A). reg_* is the position exactly as
-- the register gives it; geom is the converted lon/lat.
CREATE TABLE markers (
    number          text COLLATE "C" PRIMARY KEY,
    line_id         text COLLATE "C" NOT NULL REFERENCES boundary_lines (id),
    type            text NOT NULL,
    pair_letter     text NOT NULL DEFAULT '',
    material        text NOT NULL DEFAULT '',
    reg_crs         text NOT NULL,
    reg_axis_order  text NOT NULL,
    reg_first       double precision NOT NULL,
    reg_second      double precision NOT NULL,
    registered_year bigint NOT NULL DEFAULT 0,
    geom            geometry(Point, 4490) NOT NULL
);
CREATE INDEX markers_line_idx ON markers (line_id, number);
CREATE INDEX markers_geom_idx ON markers USING gist (geom);

-- Facilities: capacities and smart_terminal are NULL when unknown.
CREATE TABLE facilities (
    id                     text COLLATE "C" PRIMARY KEY,
    name                   text NOT NULL,
    type                   text COLLATE "C" NOT NULL,
    status                 text COLLATE "C" NOT NULL,
    township_code          text COLLATE "C" NOT NULL,
    capacity_beds          bigint,
    capacity_meals_per_day bigint,
    smart_terminal         boolean,
    attributes             jsonb,
    geom                   geometry(Point, 4490) NOT NULL,
    version                bigint NOT NULL,
    updated_at             timestamptz NOT NULL
);
CREATE INDEX facilities_type_idx ON facilities (type, id);
CREATE INDEX facilities_status_idx ON facilities (status, id);
CREATE INDEX facilities_township_idx ON facilities (township_code, id);
CREATE INDEX facilities_geom_idx ON facilities USING gist (geom);

-- Elderly demand per village-level unit.
CREATE TABLE demand_units (
    code               text COLLATE "C" PRIMARY KEY,
    name               text NOT NULL,
    township_code      text COLLATE "C" NOT NULL,
    elderly_population bigint NOT NULL,
    geom               geometry(Point, 4490) NOT NULL
);
CREATE INDEX demand_units_township_idx ON demand_units (township_code, code);
CREATE INDEX demand_units_geom_idx ON demand_units USING gist (geom);

-- +goose Down
DROP TABLE demand_units;
DROP TABLE facilities;
DROP TABLE markers;
DROP TABLE boundary_lines;
DROP TABLE place_versions;
DROP TABLE places;
DROP TABLE divisions;
