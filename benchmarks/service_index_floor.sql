-- The floor: the dossier sums of the service-quality index (QĐ 766) written by hand for DuckDB,
-- the least DuckDB itself needs for them. No scoring, no problem report: only the checks that
-- decide a row's validity, the on-time rule with supplement cycles and complaints, and one sum
-- per indicator numerator and denominator. benchmarks/service_index.py fills in the file lists
-- and the months, runs it, and checks that its sums equal sipas's.
--
-- Two floors are put together from the sections below (each starts with a "-- @" line):
-- * per unit: setup; facts + per-unit. The per-unit sums alone, one query. It does not give
--   what the index needs of each procedure (M3 counts the procedures with at least one dossier
--   paid online) nor the dossier counts of the drill-down by procedure.
-- * the same output as sipas: setup; "CREATE TEMP TABLE floor_pairs AS" facts + per-procedure;
--   roll-up; procedure-counts. The sums per catalogue row (unit and procedure) once, then both
--   the per-unit sums and each procedure's dossier counts read from that small table: the
--   fastest form measured (one pass per unit plus a second pass for the counts took longer).
--
-- Conditions are booleans: COUNT FILTER where the groups are many (8 bytes a count), sums of
-- 0/1 products where they are few; periods come from a small calendar table joined on the
-- start day; the catalogue row is its position in the file.
--
-- Placeholders: {dossiers}, {supplements}, {complaints}, {duplicates}, {catalogue} (file lists
-- or paths), {first_day}, {last_day} (the months' bounds, 'YYYY-MM-DD').

-- @setup
CREATE OR REPLACE TEMP TABLE floor_calendar AS
SELECT d::DATE AS cal_day, strftime(d, '%Y-%m') AS period, last_day(d) AS period_end
FROM range(DATE '{first_day}', DATE '{last_day}' + 1, INTERVAL 1 DAY) AS days(d);

-- @facts
WITH
catalogue AS (
    SELECT file_row_number::INTEGER AS c_pair, unit_code AS c_unit, procedure_code AS c_procedure,
           legal_days, online_level
    FROM read_parquet({catalogue}, file_row_number = true)
),
repeated AS (SELECT DISTINCT dossier_id AS _did FROM read_parquet({duplicates})),
supplement_totals AS (  -- requests made in the dossier's own period, waited up to its end
    SELECT s.dossier_id AS s_id, c.period AS s_period, count(*) AS s_requests,
           sum(least(coalesce(s.received_on, c.period_end), c.period_end) - s.requested_on) AS s_days
    FROM read_parquet({supplements}) AS s JOIN floor_calendar AS c ON s.requested_on = c.cal_day
    GROUP BY ALL
),
first_complaint AS (
    SELECT dossier_id AS k_id, min(received_on) AS k_first
    FROM read_parquet({complaints}) WHERE dossier_id IS NOT NULL GROUP BY ALL
),
dossiers AS (
    SELECT d.*, c.period, c.period_end, c.cal_day AS start_day, cat.c_unit, cat.c_pair,
        cat.legal_days, cat.online_level,
        coalesce(s.s_requests, 0) AS requests, coalesce(s.s_days, 0) AS waited,
        coalesce(k.k_first <= c.period_end, false) AS complaint,
        coalesce(d.ended_on <= c.period_end, false) AS finished,
        coalesce(d.status NOT IN (3, 7), false) AS counted,
        d.dossier_id IS NOT NULL AND d.procedure_code IS NOT NULL AND d.unit_code IS NOT NULL
            AND d.submitted_on IS NOT NULL AND d.status IS NOT NULL
            AND coalesce(d.status BETWEEN 1 AND 10, true) AND coalesce(d.channel BETWEEN 1 AND 3, true)
            AND cat.c_unit IS NOT NULL
            AND NOT coalesce(d.received_on < d.submitted_on, false)
            AND NOT coalesce(d.ended_on < c.cal_day, false)
            AND NOT coalesce(d.promised_on < c.cal_day, false)
            AND NOT coalesce(d.status IN (8, 9, 10) AND d.ended_on IS NULL, false)
            AND NOT coalesce(d.status IN (1, 2, 4, 5, 6) AND d.ended_on IS NOT NULL, false)
            AND r._did IS NULL AS valid
    FROM read_parquet({dossiers}) AS d
    JOIN floor_calendar AS c ON coalesce(d.received_on, d.submitted_on) = c.cal_day
    LEFT JOIN catalogue AS cat ON d.unit_code = cat.c_unit AND d.procedure_code = cat.c_procedure
    LEFT JOIN repeated AS r ON d.dossier_id = r._did
    LEFT JOIN supplement_totals AS s ON d.dossier_id = s.s_id AND c.period = s.s_period
    LEFT JOIN first_complaint AS k ON d.dossier_id = k.k_id
),
judged AS (
    SELECT *, CASE WHEN finished THEN ended_on ELSE period_end END AS judged_on FROM dossiers
),
facts AS (
    SELECT period, c_unit AS unit_code, c_pair,
        valid AS v,
        valid AND counted AS vc,
        valid AND finished AS vf,
        coalesce(counted AND requests <= 1 AND CASE WHEN promised_on IS NOT NULL
            THEN judged_on - promised_on <= waited
            ELSE judged_on - start_day - waited <= legal_days END, false) AS on_time,
        finished AS fin,
        CASE WHEN valid AND counted AND finished THEN judged_on - start_day - waited ELSE 0 END AS days,
        coalesce(channel = 2, false) AS online,
        coalesce(online_level = 2, false) AS full_online_eligible,
        coalesce(fee_amount > 0, false) AS fee,
        coalesce(fee_paid_online > 0, false) AS paid,
        coalesce(synced, false) AS synced,
        coalesce(electronic_result, false) AS e_result,
        coalesce(documents > 0 AND coalesce(documents_digitised, 0) >= documents, false) AS digitised,
        coalesce(certified_copy, false) AS copy,
        coalesce(certified_copy_electronic, false) AS e_copy,
        coalesce(documents_reused > 0, false) AS reused,
        coalesce(documents_from_store > 0, false) AS from_store,
        coalesce(applicant_type = 'citizen', false) AS citizen,
        coalesce(population_db, false) AS population_db,
        NOT coalesce(dislike, false) AND NOT complaint AS no_grievance
    FROM judged
)

-- @per-unit
SELECT period, unit_code,
    sum(vc::UTINYINT * synced::UTINYINT) AS T4_num, sum(vc::UTINYINT) AS T4_den,
    sum(vc::UTINYINT * on_time::UTINYINT) AS P1_num, sum(vc::UTINYINT) AS P1_den,
    sum(days) AS P2_num, sum(vc::UTINYINT * fin::UTINYINT) AS P2_den,
    sum(vc::UTINYINT * full_online_eligible::UTINYINT * online::UTINYINT) AS O4_num,
    sum(vc::UTINYINT * full_online_eligible::UTINYINT) AS O4_den,
    sum(vc::UTINYINT * fee::UTINYINT * paid::UTINYINT) AS M1_num, sum(vc::UTINYINT * fee::UTINYINT) AS M1_den,
    sum(vf::UTINYINT * e_result::UTINYINT) AS D1_num, sum(vf::UTINYINT) AS D1_den,
    sum(vc::UTINYINT * digitised::UTINYINT) AS D2_num, sum(vc::UTINYINT) AS D2_den,
    sum(vc::UTINYINT * copy::UTINYINT * e_copy::UTINYINT) AS D3_num, sum(vc::UTINYINT * copy::UTINYINT) AS D3_den,
    sum(vc::UTINYINT * online::UTINYINT * reused::UTINYINT) AS D4_num, sum(vc::UTINYINT * online::UTINYINT) AS D4_den,
    sum(vc::UTINYINT * online::UTINYINT * from_store::UTINYINT) AS D5_num, sum(vc::UTINYINT * online::UTINYINT) AS D5_den,
    sum(vc::UTINYINT * citizen::UTINYINT * population_db::UTINYINT) AS D7_num, sum(vc::UTINYINT * citizen::UTINYINT) AS D7_den,
    sum(vc::UTINYINT * on_time::UTINYINT * no_grievance::UTINYINT) AS S3_num, sum(vc::UTINYINT) AS S3_den,
    sum(v::UTINYINT) AS dossiers, sum(v::UTINYINT * online::UTINYINT) AS online_dossiers,
    sum(v::UTINYINT * paid::UTINYINT) AS paid_online_dossiers,
    sum((NOT v)::UTINYINT) AS excluded
FROM facts
GROUP BY ALL

-- @per-procedure
SELECT period, unit_code, c_pair,
    count(*) FILTER (WHERE vc AND synced) AS T4_num, count(*) FILTER (WHERE vc) AS T4_den,
    count(*) FILTER (WHERE vc AND on_time) AS P1_num, count(*) FILTER (WHERE vc) AS P1_den,
    sum(days) AS P2_num, count(*) FILTER (WHERE vc AND fin) AS P2_den,
    count(*) FILTER (WHERE vc AND full_online_eligible AND online) AS O4_num,
    count(*) FILTER (WHERE vc AND full_online_eligible) AS O4_den,
    count(*) FILTER (WHERE vc AND fee AND paid) AS M1_num, count(*) FILTER (WHERE vc AND fee) AS M1_den,
    count(*) FILTER (WHERE vf AND e_result) AS D1_num, count(*) FILTER (WHERE vf) AS D1_den,
    count(*) FILTER (WHERE vc AND digitised) AS D2_num, count(*) FILTER (WHERE vc) AS D2_den,
    count(*) FILTER (WHERE vc AND copy AND e_copy) AS D3_num, count(*) FILTER (WHERE vc AND copy) AS D3_den,
    count(*) FILTER (WHERE vc AND online AND reused) AS D4_num, count(*) FILTER (WHERE vc AND online) AS D4_den,
    count(*) FILTER (WHERE vc AND online AND from_store) AS D5_num, count(*) FILTER (WHERE vc AND online) AS D5_den,
    count(*) FILTER (WHERE vc AND citizen AND population_db) AS D7_num,
    count(*) FILTER (WHERE vc AND citizen) AS D7_den,
    count(*) FILTER (WHERE vc AND on_time AND no_grievance) AS S3_num, count(*) FILTER (WHERE vc) AS S3_den,
    count(*) FILTER (WHERE v) AS dossiers, count(*) FILTER (WHERE v AND online) AS online_dossiers,
    count(*) FILTER (WHERE v AND paid) AS paid_online_dossiers,
    count(*) FILTER (WHERE NOT v) AS excluded
FROM facts
GROUP BY ALL

-- @roll-up
SELECT period, unit_code,
    sum(T4_num)::BIGINT AS T4_num, sum(T4_den)::BIGINT AS T4_den,
    sum(P1_num)::BIGINT AS P1_num, sum(P1_den)::BIGINT AS P1_den,
    sum(P2_num)::BIGINT AS P2_num, sum(P2_den)::BIGINT AS P2_den,
    sum(O4_num)::BIGINT AS O4_num, sum(O4_den)::BIGINT AS O4_den,
    sum(M1_num)::BIGINT AS M1_num, sum(M1_den)::BIGINT AS M1_den,
    sum(D1_num)::BIGINT AS D1_num, sum(D1_den)::BIGINT AS D1_den,
    sum(D2_num)::BIGINT AS D2_num, sum(D2_den)::BIGINT AS D2_den,
    sum(D3_num)::BIGINT AS D3_num, sum(D3_den)::BIGINT AS D3_den,
    sum(D4_num)::BIGINT AS D4_num, sum(D4_den)::BIGINT AS D4_den,
    sum(D5_num)::BIGINT AS D5_num, sum(D5_den)::BIGINT AS D5_den,
    sum(D7_num)::BIGINT AS D7_num, sum(D7_den)::BIGINT AS D7_den,
    sum(S3_num)::BIGINT AS S3_num, sum(S3_den)::BIGINT AS S3_den,
    sum(dossiers)::BIGINT AS dossiers, sum(online_dossiers)::BIGINT AS online_dossiers,
    sum(paid_online_dossiers)::BIGINT AS paid_online_dossiers, sum(excluded)::BIGINT AS excluded
FROM floor_pairs
GROUP BY ALL

-- @procedure-counts
SELECT period, c_pair, dossiers, online_dossiers, paid_online_dossiers
FROM floor_pairs
WHERE c_pair IS NOT NULL
