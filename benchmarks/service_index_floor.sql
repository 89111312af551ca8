-- The floor: the per-unit dossier sums of the service-quality index (QĐ 766) written by hand as
-- one DuckDB query, the least DuckDB itself needs for them. No scoring, no drill-down by
-- procedure, no problem report: only the checks that decide a row's validity, the on-time rule
-- with supplement cycles and complaints, and one sum per indicator numerator and denominator.
-- benchmarks/service_index.py fills in the file lists and the months, runs it, and checks that
-- its sums equal sipas's. Conditions are 0/1 integers and sums of their products (the fastest
-- form measured), and periods come from a small calendar table joined on the start day.
--
-- Placeholders: {dossiers}, {supplements}, {complaints}, {duplicates}, {catalogue} (file lists
-- or paths), {first_day}, {last_day} (the months' bounds, 'YYYY-MM-DD').

CREATE OR REPLACE TEMP TABLE floor_calendar AS
SELECT d::DATE AS cal_day, strftime(d, '%Y-%m') AS period, last_day(d) AS period_end
FROM range(DATE '{first_day}', DATE '{last_day}' + 1, INTERVAL 1 DAY) AS days(d);

WITH
catalogue AS (
    SELECT unit_code AS c_unit, procedure_code AS c_procedure, legal_days, online_level
    FROM read_parquet({catalogue})
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
    SELECT d.*, c.period, c.period_end, c.cal_day AS start_day, cat.c_unit, cat.legal_days,
        cat.online_level,
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
    SELECT period, c_unit AS unit_code,
        valid::UTINYINT AS v,
        (valid AND counted)::UTINYINT AS vc,
        (valid AND finished)::UTINYINT AS vf,
        coalesce(counted AND requests <= 1 AND CASE WHEN promised_on IS NOT NULL
            THEN judged_on - promised_on <= waited
            ELSE judged_on - start_day - waited <= legal_days END, false)::UTINYINT AS on_time,
        finished::UTINYINT AS fin,
        CASE WHEN valid AND counted AND finished THEN judged_on - start_day - waited ELSE 0 END AS days,
        coalesce(channel = 2, false)::UTINYINT AS online,
        coalesce(online_level = 2, false)::UTINYINT AS full_online_eligible,
        coalesce(fee_amount > 0, false)::UTINYINT AS fee,
        coalesce(fee_paid_online > 0, false)::UTINYINT AS paid,
        coalesce(synced, false)::UTINYINT AS synced,
        coalesce(electronic_result, false)::UTINYINT AS e_result,
        coalesce(documents > 0 AND coalesce(documents_digitised, 0) >= documents, false)::UTINYINT AS digitised,
        coalesce(certified_copy, false)::UTINYINT AS copy,
        coalesce(certified_copy_electronic, false)::UTINYINT AS e_copy,
        coalesce(documents_reused > 0, false)::UTINYINT AS reused,
        coalesce(documents_from_store > 0, false)::UTINYINT AS from_store,
        coalesce(applicant_type = 'citizen', false)::UTINYINT AS citizen,
        coalesce(population_db, false)::UTINYINT AS population_db,
        (NOT coalesce(dislike, false) AND NOT complaint)::UTINYINT AS no_grievance
    FROM judged
)
SELECT period, unit_code,
    sum(vc * synced) AS T4_num, sum(vc) AS T4_den,
    sum(vc * on_time) AS P1_num, sum(vc) AS P1_den,
    sum(days) AS P2_num, sum(vc * fin) AS P2_den,
    sum(vc * full_online_eligible * online) AS O4_num, sum(vc * full_online_eligible) AS O4_den,
    sum(vc * fee * paid) AS M1_num, sum(vc * fee) AS M1_den,
    sum(vf * e_result) AS D1_num, sum(vf) AS D1_den,
    sum(vc * digitised) AS D2_num, sum(vc) AS D2_den,
    sum(vc * copy * e_copy) AS D3_num, sum(vc * copy) AS D3_den,
    sum(vc * online * reused) AS D4_num, sum(vc * online) AS D4_den,
    sum(vc * online * from_store) AS D5_num, sum(vc * online) AS D5_den,
    sum(vc * citizen * population_db) AS D7_num, sum(vc * citizen) AS D7_den,
    sum(vc * on_time * no_grievance) AS S3_num, sum(vc) AS S3_den,
    sum(v) AS dossiers, sum(v * online) AS online_dossiers, sum(v * paid) AS paid_online_dossiers,
    sum(1 - v) AS excluded
FROM facts
GROUP BY ALL
