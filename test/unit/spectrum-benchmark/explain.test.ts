import {
  comparePlans,
  describePlanChange,
  parsePlan,
} from '../../../actions/spectrum-benchmark/src/explain.js'

/** Shapes from the Redshift guide's Spectrum query-performance and partitioning pages. */
const PARTITIONED = [
  'XN HashAggregate  (cost=1000.00..1000.10 rows=10 width=12)',
  '  ->  XN Hash Join DS_BCAST_INNER  (cost=0.00..900.00 rows=100 width=12)',
  '        Hash Cond: ("outer".eventid = "inner".eventid)',
  '        ->  XN Partition Loop  (cost=0.00..400.00 rows=100 width=8)',
  '              ->  XN Seq Scan PartitionInfo of spectrum.sales_part  (cost=0.00..10.00 rows=1 width=4)',
  "                    Filter: (((saledate)::text >= '2008-12-01'::text) AND ((saledate)::text <= '2008-12-31'::text))",
  '              ->  XN S3 Query Scan sales_part  (cost=0.00..200.00 rows=100 width=8)',
  '                    ->  S3 Seq Scan spectrum.sales_part location:"s3://bucket/sales" format:TEXT  (cost=0.00..100.00 rows=100 width=8)',
  '                          Filter: (pricepaid > 30.00)',
  '        ->  XN Hash  (cost=87.98..87.98 rows=8798 width=4)',
  '              ->  XN Seq Scan on event  (cost=0.00..87.98 rows=8798 width=4)',
]

const FULL_SCAN = [
  'XN HashAggregate  (cost=5000.00..5000.10 rows=10 width=12)',
  '  ->  XN Hash Join DS_BCAST_INNER  (cost=0.00..4900.00 rows=100000 width=12)',
  '        Hash Cond: ("outer".eventid = "inner".eventid)',
  '        ->  XN S3 Query Scan sales_part  (cost=0.00..2000.00 rows=100000 width=8)',
  '              ->  S3 Seq Scan spectrum.sales_part location:"s3://bucket/sales" format:TEXT  (cost=0.00..1000.00 rows=100000 width=8)',
  '        ->  XN Hash  (cost=87.98..87.98 rows=8798 width=4)',
  '              ->  XN Seq Scan on event  (cost=0.00..87.98 rows=8798 width=4)',
]

describe('plans', () => {
  it('reads steps with their depth and details, without costs', () => {
    const steps = parsePlan(PARTITIONED)
    expect(steps.map((s) => [s.depth, s.label])).toEqual([
      [0, 'XN HashAggregate'],
      [1, 'XN Hash Join DS_BCAST_INNER'],
      [2, 'XN Partition Loop'],
      [3, 'XN Seq Scan PartitionInfo of spectrum.sales_part'],
      [3, 'XN S3 Query Scan sales_part'],
      [4, 'S3 Seq Scan spectrum.sales_part location:"s3://bucket/sales" format:TEXT'],
      [2, 'XN Hash'],
      [3, 'XN Seq Scan on event'],
    ])
    expect(steps[1]!.details).toEqual(['Hash Cond: ("outer".eventid = "inner".eventid)'])
  })

  it('sees no change when only costs and row estimates moved', () => {
    const bigger = PARTITIONED.map((l) =>
      l.replace(/rows=\d+/g, 'rows=123456').replace(/cost=[\d.]+/g, 'cost=9.99'),
    )
    expect(describePlanChange(PARTITIONED, bigger)).toEqual([])
    expect(comparePlans([{ query: 'q', base: PARTITIONED, current: bigger }])).toEqual([])
  })

  it('names a Spectrum scan that lost its partition loop and its filter', () => {
    expect(describePlanChange(PARTITIONED, FULL_SCAN)).toEqual([
      'the Spectrum scan of spectrum.sales_part lost its partition loop (every partition is read)',
      'the Spectrum scan of spectrum.sales_part lost its filter ((pricepaid > 30.00))',
    ])
    expect(describePlanChange(FULL_SCAN, PARTITIONED)[0]).toBe(
      'the Spectrum scan of spectrum.sales_part gained a partition loop (partitions are pruned)',
    )
  })

  it('names a join that changed strategy, and steps that appeared or went', () => {
    const merge = PARTITIONED.map((l) =>
      l.replace('XN Hash Join DS_BCAST_INNER', 'XN Merge Join DS_DIST_NONE'),
    )
    expect(describePlanChange(PARTITIONED, merge)).toEqual([
      'join 1 changed strategy from Hash Join DS_BCAST_INNER to Merge Join DS_DIST_NONE',
    ])
    const sorted = [
      'XN Sort  (cost=1.00..1.00 rows=1 width=1)',
      '  Sort Key: eventid',
      ...PARTITIONED.map((l) => `      ${l.replace(/^XN/, '->  XN')}`),
    ]
    expect(describePlanChange(PARTITIONED, sorted)).toEqual(['steps appeared: XN Sort'])
  })

  it('reports per query, and not for a query without a plan on one side', () => {
    expect(
      comparePlans([
        { query: 'same', base: FULL_SCAN, current: FULL_SCAN },
        { query: 'changed', base: PARTITIONED, current: FULL_SCAN },
        { query: 'new', current: FULL_SCAN },
      ]).map((c) => c.query),
    ).toEqual(['changed'])
  })
})
