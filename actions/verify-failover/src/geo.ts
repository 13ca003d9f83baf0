/**
 * Approximate locations of the AWS regions (the metro area each one serves),
 * used to pick the latency record a resolver in one region would be given:
 * Route 53 answers with the record of the region with the lowest latency from
 * the resolver, and distance is the best offline stand-in for latency.
 */
export const REGION_LOCATIONS: Readonly<Record<string, readonly [number, number]>> = {
  'af-south-1': [-33.9, 18.4],
  'ap-east-1': [22.3, 114.2],
  'ap-east-2': [25.0, 121.5],
  'ap-northeast-1': [35.7, 139.7],
  'ap-northeast-2': [37.6, 127.0],
  'ap-northeast-3': [34.7, 135.5],
  'ap-south-1': [19.1, 72.9],
  'ap-south-2': [17.4, 78.5],
  'ap-southeast-1': [1.3, 103.8],
  'ap-southeast-2': [-33.9, 151.2],
  'ap-southeast-3': [-6.2, 106.8],
  'ap-southeast-4': [-37.8, 145.0],
  'ap-southeast-5': [3.1, 101.7],
  'ap-southeast-6': [-36.8, 174.8],
  'ap-southeast-7': [13.8, 100.5],
  'ca-central-1': [45.5, -73.6],
  'ca-west-1': [51.0, -114.1],
  'eu-central-1': [50.1, 8.7],
  'eu-central-2': [47.4, 8.5],
  'eu-north-1': [59.3, 18.1],
  'eu-south-1': [45.5, 9.2],
  'eu-south-2': [41.6, -0.9],
  'eu-west-1': [53.3, -6.3],
  'eu-west-2': [51.5, -0.1],
  'eu-west-3': [48.9, 2.4],
  'il-central-1': [32.1, 34.8],
  'me-central-1': [25.2, 55.3],
  'me-south-1': [26.2, 50.6],
  'mx-central-1': [20.6, -100.4],
  'sa-east-1': [-23.5, -46.6],
  'us-east-1': [38.9, -77.4],
  'us-east-2': [40.0, -83.0],
  'us-west-1': [37.4, -122.0],
  'us-west-2': [45.8, -119.7],
  'cn-north-1': [39.9, 116.4],
  'cn-northwest-1': [37.5, 105.2],
  'us-gov-east-1': [40.0, -83.0],
  'us-gov-west-1': [45.8, -119.7],
}

/** Great-circle distance in km; an unknown region is treated as far from everything. */
export function regionDistance(from: string, to: string): number {
  if (from === to) return 0
  const a = REGION_LOCATIONS[from]
  const b = REGION_LOCATIONS[to]
  if (!a || !b) return 40000
  const rad = Math.PI / 180
  const dLat = (b[0] - a[0]) * rad
  const dLon = (b[1] - a[1]) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)))
}
