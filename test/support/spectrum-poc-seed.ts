import type { PGlite } from '@electric-sql/pglite'
import { mulberry32 } from './random.js'

/**
 * A small, deterministic copy of the Redshift Spectrum proof of concept's data:
 * the customer and dwdate dimensions (Star Schema Benchmark shapes) in the
 * database, and the clickstream fact table (AMPLab uservisits with customer and
 * date surrogate keys) in the `spectrum` schema, which stands for the external
 * schema that a Glue database provides on Redshift. The fact table comes in two
 * layouts:
 *
 * - `spectrum.uservisits_flat`: one table, like CSV files without partitions:
 *   every query reads all of it;
 * - `spectrum.uservisits_partitioned`: one leaf table per customer and month
 *   (list partitions by customer, each split by month), like
 *   `PARTITIONED BY (customer int4, visityearmonth int4)` over one file per
 *   partition, so a query that filters on the partition columns reads few leaves.
 *
 * Both hold the same rows. The values come from seeded generators (mulberry32 in
 * JavaScript for the dimensions, PostgreSQL's setseed()/random() for the facts),
 * so every start produces the same tables and the same query answers.
 */

export interface SeedOptions {
  /** Clickstream rows per customer and month (default 160: 23,040 rows per layout). */
  visitsPerCustomerMonth?: number
  /** Customers in the customer dimension (default 600; visits belong to customers 1-6). */
  customers?: number
  seed?: number
}

export const POC_CUSTOMERS_WITH_VISITS = 6
/** Visits cover 1997-1998: 24 months, from 199701 to 199812. */
export const POC_MONTHS: readonly number[] = [1997, 1998].flatMap((y) =>
  Array.from({ length: 12 }, (_, m) => y * 100 + m + 1),
)

const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY']
const NATIONS: ReadonlyArray<[string, string]> = [
  ['UNITED STATES', 'AMERICA'],
  ['CANADA', 'AMERICA'],
  ['BRAZIL', 'AMERICA'],
  ['GERMANY', 'EUROPE'],
  ['FRANCE', 'EUROPE'],
  ['UNITED KINGDOM', 'EUROPE'],
  ['JAPAN', 'ASIA'],
  ['INDIA', 'ASIA'],
  ['CHINA', 'ASIA'],
  ['EGYPT', 'MIDDLE EAST'],
]
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

function customerRows(count: number, random: () => number): string[] {
  const rows: string[] = []
  for (let key = 1; key <= count; key++) {
    const [nation, region] = NATIONS[Math.floor(random() * NATIONS.length)]!
    const segment = SEGMENTS[Math.floor(random() * SEGMENTS.length)]!
    const city = `${nation.slice(0, 9).padEnd(9, ' ')}${Math.floor(random() * 10)}`
    const phone = `${10 + Math.floor(random() * 25)}-${100 + Math.floor(random() * 900)}-${100 + Math.floor(random() * 900)}-${1000 + Math.floor(random() * 9000)}`
    rows.push(
      `(${key}, ${quote(`Customer#${String(key).padStart(9, '0')}`)}, ${quote(`addr-${Math.floor(random() * 1e6)}`)}, ${quote(city)}, ${quote(nation)}, ${quote(region)}, ${quote(phone)}, ${quote(segment)})`,
    )
  }
  return rows
}

/** One row per day from 1992-01-01 to 1998-12-31, the PoC's seven years. */
function dwdateRows(): string[] {
  const rows: string[] = []
  for (let t = Date.UTC(1992, 0, 1); t <= Date.UTC(1998, 11, 31); t += 86400000) {
    const d = new Date(t)
    const y = d.getUTCFullYear()
    const m = d.getUTCMonth()
    const day = d.getUTCDate()
    const key = y * 10000 + (m + 1) * 100 + day
    const monthName = MONTH_NAMES[m]!
    rows.push(
      `(${key}, ${quote(`${monthName} ${day}, ${y}`)}, ${quote(DAY_NAMES[d.getUTCDay()]!)}, ${quote(monthName)}, ${y}, ${y * 100 + m + 1}, ${quote(`${monthName.slice(0, 3)}${y}`)}, ${day}, ${quote(`${monthName} ${y}`)})`,
    )
  }
  return rows
}

export async function seedSpectrumPoc(db: PGlite, options: SeedOptions = {}): Promise<void> {
  const random = mulberry32(options.seed ?? 20171018)
  const perMonth = options.visitsPerCustomerMonth ?? 160
  const customers = options.customers ?? 600
  const leaves: string[] = []
  for (let c = 1; c <= POC_CUSTOMERS_WITH_VISITS; c++) {
    // Two levels (customer, then month), so a filter on either column prunes.
    leaves.push(
      `CREATE TABLE spectrum.uservisits_customer_${c} PARTITION OF spectrum.uservisits_partitioned FOR VALUES IN (${c}) PARTITION BY RANGE (visityearmonth);`,
    )
    for (const ym of POC_MONTHS) {
      const next = ym % 100 === 12 ? (Math.floor(ym / 100) + 1) * 100 + 1 : ym + 1
      leaves.push(
        `CREATE TABLE spectrum.uservisits_p_c${c}_${ym} PARTITION OF spectrum.uservisits_customer_${c} FOR VALUES FROM (${ym}) TO (${next});`,
      )
    }
  }
  const seedValue = ((options.seed ?? 20171018) % 1000) / 1000
  await db.exec(`
    CREATE TABLE customer (
      c_custkey integer NOT NULL PRIMARY KEY,
      c_name varchar(25) NOT NULL,
      c_address varchar(25) NOT NULL,
      c_city varchar(10) NOT NULL,
      c_nation varchar(15) NOT NULL,
      c_region varchar(12) NOT NULL,
      c_phone varchar(15) NOT NULL,
      c_mktsegment varchar(10) NOT NULL
    );
    INSERT INTO customer VALUES ${customerRows(customers, random).join(',\n')};
    CREATE TABLE dwdate (
      d_datekey integer NOT NULL PRIMARY KEY,
      d_date varchar(19) NOT NULL,
      d_dayofweek varchar(10) NOT NULL,
      d_month varchar(10) NOT NULL,
      d_year integer NOT NULL,
      d_yearmonthnum integer NOT NULL,
      d_yearmonth varchar(8) NOT NULL,
      d_daynuminmonth integer NOT NULL,
      prettymonthyear varchar(20) NOT NULL
    );
    INSERT INTO dwdate VALUES ${dwdateRows().join(',\n')};
    CREATE SCHEMA spectrum;
    CREATE TABLE spectrum.uservisits_flat (
      custkey integer NOT NULL,
      yearmonthkey integer NOT NULL,
      visitdate integer NOT NULL,
      sourceip varchar(15) NOT NULL,
      desturl varchar(100) NOT NULL,
      adrevenue double precision NOT NULL,
      useragent varchar(40) NOT NULL,
      countrycode char(3) NOT NULL,
      languagecode char(6) NOT NULL,
      searchword varchar(32) NOT NULL,
      duration integer NOT NULL
    );
    CREATE TABLE spectrum.uservisits_partitioned (LIKE spectrum.uservisits_flat, customer integer NOT NULL, visityearmonth integer NOT NULL)
      PARTITION BY LIST (customer);
    ${leaves.join('\n')}
    SELECT setseed(${seedValue});
    INSERT INTO spectrum.uservisits_flat
      SELECT c, ym,
        ym * 100 + 1 + floor(random() * 28)::int,
        (floor(random() * 223) + 1)::int || '.' || floor(random() * 256)::int || '.' || floor(random() * 256)::int || '.' || floor(random() * 256)::int,
        'http://example.com/' || md5(random()::text),
        round((random() * 1.2)::numeric, 6)::double precision,
        (ARRAY['Mozilla/5.0', 'Opera/9.80', 'Safari/537.36', 'Edge/18.0'])[1 + floor(random() * 4)::int],
        (ARRAY['USA', 'DEU', 'FRA', 'JPN', 'BRA', 'IND'])[1 + floor(random() * 6)::int],
        (ARRAY['en-US', 'de-DE', 'fr-FR', 'ja-JP', 'pt-BR'])[1 + floor(random() * 5)::int],
        substr(md5(random()::text), 1, 8),
        1 + floor(random() * 10)::int
      FROM generate_series(1, ${POC_CUSTOMERS_WITH_VISITS}) AS c,
        unnest(ARRAY[${POC_MONTHS.join(',')}]) AS ym,
        generate_series(1, ${perMonth}) AS n
      ORDER BY n, c, ym;
    INSERT INTO spectrum.uservisits_partitioned SELECT *, custkey, yearmonthkey FROM spectrum.uservisits_flat;
    ANALYZE;
  `)
}
