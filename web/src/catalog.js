// Chinese names for the layers, fields and coded values civmap serves. The style's metadata wins where it says
// something (civmap:title, civmap:facility_types); these are the fallbacks and the labels the style does not carry.

/** Facility types in the order the legend lists them, with the colours used when the style gives none. */
export const FACILITY_TYPES = [
  { type: 'nursing_home', name: '敬老院', color: '#b5383b' },
  { type: 'home_care_center', name: '居家养老服务中心', color: '#d9622b' },
  { type: 'home_care_station', name: '居家养老服务站', color: '#e59b2f' },
  { type: 'kangyang_union', name: '康养联合体', color: '#8c4fa8' },
  { type: 'mutual_aid_courtyard', name: '农村互助颐养小院', color: '#5c8a2f' },
  { type: 'canteen', name: '老年食堂', color: '#1f78b4' },
  { type: 'shared_restaurant', name: '共享餐厅', color: '#3aa0c9' },
  { type: 'meal_point', name: '助餐点', color: '#6cc3d5' },
  { type: 'service_complex', name: '社区服务综合体', color: '#2d6a5a' },
  { type: 'residents_station', name: '小区居民自治服务站', color: '#7a7f36' },
  { type: 'social_work_station', name: '社会工作站', color: '#a0527a' },
];

export const FACILITY_STATUSES = [
  { status: 'existing', name: '已建成' },
  { status: 'under_construction', name: '在建' },
  { status: 'planned', name: '规划' },
];

/** Layer groups (metadata civmap:group, else the source layer) in panel order, with their Chinese titles. */
export const GROUPS = [
  { group: 'facilities', title: '养老服务设施' },
  { group: 'places', title: '地名' },
  { group: 'markers', title: '界桩' },
  { group: 'boundary_lines', title: '行政区域界线' },
  { group: 'demand', title: '村（社区）老年人口' },
  { group: 'divisions', title: '行政区划' },
  { group: 'base', title: '底图' },
];

/** Source layer names in Chinese (popup subtitles). */
export const SOURCE_LAYER_TITLES = {
  divisions: '行政区划',
  demand: '村（社区）',
  boundary_lines: '行政区域界线',
  markers: '界桩',
  places: '地名',
  facilities: '设施',
};

/** Property labels, shown in popups in this order; unknown properties follow under their own names. */
export const FIELD_LABELS = {
  name: '名称',
  id: '编号',
  code: '区划代码',
  number: '界桩编号',
  type: '类型',
  category: '类别',
  status: '状态',
  level: '级别',
  kind: '类型',
  parent_code: '上级区划代码',
  township_code: '所属乡镇（街道）代码',
  division_code: '所在区划代码',
  division_codes: '所在区划代码',
  pinyin: '汉语拼音',
  heritage: '地名文化遗产',
  elderly_population: '老年人口（人）',
  capacity_beds: '床位数（张）',
  capacity_meals_per_day: '日供餐能力（份）',
  smart_terminal: '智能终端',
  line_id: '界线编号',
  left_code: '左侧区划代码',
  right_code: '右侧区划代码',
  right_name: '右侧区划名称',
  pair_letter: '同号界桩序号',
  material: '材质',
  registered_year: '登记年份',
  label_point: '注记点',
};

/** Coded values by field. Values not listed are shown as they are. */
export const VALUE_LABELS = {
  status: {
    existing: '已建成',
    under_construction: '在建',
    planned: '规划',
    current: '现行',
    historical: '历史',
    abolished: '已废止',
  },
  level: {
    province: '省级',
    city: '市级',
    county: '县级',
    township: '乡级',
    village: '村级',
  },
  kind: {
    county: '县',
    district: '区',
    town: '镇',
    township: '乡',
    subdistrict: '街道',
    street: '街道',
    village: '行政村',
    community: '社区',
  },
  category: {
    hospital: '医院',
    commercial: '商业服务',
    clinic: '诊所',
    school: '学校',
    village: '村庄',
    hamlet: '自然村',
    town: '集镇',
    island: '岛屿',
    mountain: '山',
    peak: '山峰',
    river: '河流',
    stream: '溪',
    lake: '湖泊',
    reservoir: '水库',
    bay: '海湾',
    cape: '岬角',
    port: '港口',
    harbour: '港口',
    bridge: '桥梁',
    road: '道路',
    station: '车站',
    temple: '寺庙',
    park: '公园',
  },
  material: {
    granite: '花岗岩',
    stone: '石质',
    concrete: '混凝土',
    steel: '钢质',
    plastic: '塑料',
  },
  type: {
    single: '单立',
    double: '双立',
    triple: '三立',
  },
};

export const SEARCH_LIMIT = 10;
/** Fallback view: Xiangshan county, Ningbo (lon/lat). */
export const FALLBACK_CENTER = [121.87, 29.47];
export const FALLBACK_ZOOM = 9;
