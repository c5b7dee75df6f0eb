/**
 * The ten model counties named at the fund's launch (real administrative division codes), used by
 * `npm run seed` and by the sample plan in scripts/plans/.
 */
export interface ModelCounty {
  countyCode: string;
  name: string;
  province: string;
}

export const MODEL_COUNTIES: readonly ModelCounty[] = [
  { countyCode: '500236', name: 'Fengjie County', province: 'Chongqing' },
  { countyCode: '532528', name: 'Yuanyang County', province: 'Yunnan' },
  { countyCode: '622926', name: 'Dongxiang Autonomous County', province: 'Gansu' },
  { countyCode: '653221', name: 'Hotan County', province: 'Xinjiang' },
  { countyCode: '150125', name: 'Wuchuan County', province: 'Inner Mongolia' },
  { countyCode: '341524', name: 'Jinzhai County', province: 'Anhui' },
  { countyCode: '350924', name: 'Shouning County', province: 'Fujian' },
  { countyCode: '222424', name: 'Wangqing County', province: 'Jilin' },
  { countyCode: '522634', name: 'Leishan County', province: 'Guizhou' },
  { countyCode: '522633', name: 'Congjiang County', province: 'Guizhou' },
];
