package names

import "testing"

// TestRomanizeRealNames spells real names: Xiangshan's 18 township-level units and village-level units of the sample
// (data/sample/xiangshan/divisions.csv, the village names written as X村), Zhejiang's cities, counties and districts,
// streets of Zhejiang's cities, and natural features. Each answer is written out by the 1984 rules.
func TestRomanizeRealNames(t *testing.T) {
	r := defaultRomanizer(t)
	cases := []struct{ name, want string }{
		// Xiangshan's 18 township-level units.
		{"丹东街道", "Dandong Jiedao"}, {"丹西街道", "Danxi Jiedao"}, {"爵溪街道", "Juexi Jiedao"},
		{"石浦镇", "Shipu Zhen"}, {"西周镇", "Xizhou Zhen"}, {"鹤浦镇", "Hepu Zhen"}, {"贤庠镇", "Xianxiang Zhen"},
		{"墙头镇", "Qiangtou Zhen"}, {"泗洲头镇", "Sizhoutou Zhen"}, {"定塘镇", "Dingtang Zhen"}, {"涂茨镇", "Tuci Zhen"},
		{"大徐镇", "Daxu Zhen"}, {"新桥镇", "Xinqiao Zhen"}, {"东陈乡", "Dongchen Xiang"}, {"晓塘乡", "Xiaotang Xiang"},
		{"黄避岙乡", "Huangbi'ao Xiang"}, {"茅洋乡", "Maoyang Xiang"}, {"高塘岛乡", "Gaotangdao Xiang"},
		// Villages of the sample: one word (rule 3), apostrophes (rule 5), the reading dictionary (rule 7).
		{"石浦渔村", "Shipuyucun"}, {"檀兴渔村", "Tanxingyucun"}, {"渔山渔村", "Yushanyucun"},
		{"杨柳坑渔村", "Yangliukengyucun"}, {"仇家山村", "Qiujiashancun"}, {"着衣亭村", "Zhuoyitingcun"},
		{"长沙村", "Changshacun"}, {"泊戈洋村", "Bogeyangcun"}, {"前岙村", "Qian'aocun"}, {"蚶岙村", "Han'aocun"},
		{"岙里村", "Aolicun"}, {"牛丈岙村", "Niuzhang'aocun"}, {"黄避岙村", "Huangbi'aocun"}, {"下沈村", "Xiashencun"},
		{"纱帽绿村", "Shamaolücun"}, {"六升村", "Liushengcun"}, {"南沙村", "Nanshacun"}, {"车岭村", "Chelingcun"},
		{"盛源村", "Shengyuancun"}, {"芭蕉村", "Bajiaocun"}, {"骍角岙村", "Xingjiao'aocun"}, {"屿岙村", "Yu'aocun"},
		{"大碶头村", "Daqitoucun"}, {"董何碶村", "Dongheqicun"}, {"溪里方村", "Xilifangcun"}, {"峙前村", "Zhiqiancun"},
		{"双连峙村", "Shuanglianzhicun"}, {"横埕村", "Hengchengcun"}, {"中坭村", "Zhongnicun"},
		{"镜架岙村", "Jingjia'aocun"}, {"延寿岙村", "Yanshou'aocun"}, {"里庵村", "Li'ancun"}, {"庵后村", "Anhoucun"},
		{"汤岙村", "Tang'aocun"}, {"樊岙村", "Fan'aocun"}, {"花岙", "Hua'ao"}, {"吕家村", "Lüjiacun"},
		// Communities of the sample: 专名 + 通名 社区.
		{"金秋社区", "Jinqiu Shequ"}, {"丹峰社区", "Danfeng Shequ"}, {"万象社区", "Wanxiang Shequ"},
		{"欢乐社区", "Huanle Shequ"}, {"兰湾社区", "Lanwan Shequ"}, {"九市曲社区", "Jiushiqu Shequ"},
		{"塘头港社区", "Tangtougang Shequ"}, {"大石门社区", "Dashimen Shequ"}, {"瀛海社区", "Yinghai Shequ"},
		{"蓬莱社区", "Penglai Shequ"}, {"东陈村委会", "Dongchen Cunweihui"},
		// Zhejiang's cities, counties and districts.
		{"杭州市", "Hangzhou Shi"}, {"宁波市", "Ningbo Shi"}, {"温州市", "Wenzhou Shi"}, {"嘉兴市", "Jiaxing Shi"},
		{"湖州市", "Huzhou Shi"}, {"绍兴市", "Shaoxing Shi"}, {"金华市", "Jinhua Shi"}, {"衢州市", "Quzhou Shi"},
		{"舟山市", "Zhoushan Shi"}, {"台州市", "Taizhou Shi"}, {"丽水市", "Lishui Shi"}, {"宁海县", "Ninghai Xian"},
		{"奉化区", "Fenghua Qu"}, {"鄞州区", "Yinzhou Qu"}, {"长兴县", "Changxing Xian"}, {"乐清市", "Yueqing Shi"},
		{"天台县", "Tiantai Xian"}, {"嵊泗县", "Shengsi Xian"}, {"岱山县", "Daishan Xian"}, {"缙云县", "Jinyun Xian"},
		{"淳安县", "Chun'an Xian"}, {"瑞安市", "Rui'an Shi"}, {"余姚市", "Yuyao Shi"}, {"慈溪市", "Cixi Shi"},
		{"诸暨市", "Zhuji Shi"}, {"上虞区", "Shangyu Qu"}, {"路桥区", "Luqiao Qu"}, {"瓯海区", "Ouhai Qu"},
		{"南浔区", "Nanxun Qu"}, {"婺城区", "Wucheng Qu"}, {"北仑区", "Beilun Qu"}, {"海曙区", "Haishu Qu"},
		{"常山县", "Changshan Xian"}, {"安吉县", "Anji Xian"}, {"长街镇", "Changjie Zhen"},
		{"天峨县", "Tian'e Xian"}, {"建瓯市", "Jian'ou Shi"}, {"略阳县", "Lüeyang Xian"},
		// Streets: rule 1, one-syllable modifiers (rule 2), ordinals (rule 4).
		{"解放路", "Jiefang Lu"}, {"延安路", "Yan'an Lu"}, {"人民路", "Renmin Lu"}, {"天安路", "Tian'an Lu"},
		{"象山港路", "Xiangshangang Lu"}, {"中山东路", "Zhongshan Donglu"}, {"解放南路", "Jiefang Nanlu"},
		{"延安北路", "Yan'an Beilu"}, {"靖南大街", "Jingnan Dajie"}, {"天目山路", "Tianmushan Lu"},
		{"文三路", "Wen 3 Lu"}, {"纬十二路", "Wei 12 Lu"}, {"中河中路", "Zhonghe Zhonglu"}, {"环城北路", "Huancheng Beilu"},
		{"莫干山路", "Moganshan Lu"}, {"河坊街", "Hefang Jie"}, {"药行街", "Yaohang Jie"}, {"石浦老街", "Shipu Laojie"},
		{"五一路", "Wuyi Lu"}, {"城东路", "Chengdong Lu"}, {"迎宾大道", "Yingbin Dadao"}, {"厦门路", "Xiamen Lu"},
		// Natural features: 专名 + 通名, a one-syllable 专名 too (西湖 Xi Hu, GB/T 16159-2012 §6.3).
		{"象山港", "Xiangshan Gang"}, {"韭山列岛", "Jiushan Liedao"}, {"渔山列岛", "Yushan Liedao"},
		{"檀头山岛", "Tantoushan Dao"}, {"南田岛", "Nantian Dao"}, {"花岙岛", "Hua'ao Dao"}, {"西湖", "Xi Hu"},
		{"钱塘江", "Qiantang Jiang"}, {"天目山", "Tianmu Shan"}, {"雁荡山", "Yandang Shan"}, {"普陀山", "Putuo Shan"},
		{"千岛湖", "Qiandao Hu"},
	}
	if len(cases) < 80+17 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		if got := r.Romanize(c.name); got.Pinyin != c.want {
			t.Errorf("Romanize(%q) = %q, want %q\nsteps: %v", c.name, got.Pinyin, c.want, got.Steps)
		}
	}
}
