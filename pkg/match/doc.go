// Package match holds the matching rules of the job board: whether a
// candidate is eligible for a vacancy, why, what stands in the way, and how
// well the two fit. It is pure: no I/O, no clock of its own (the caller passes
// now), no state, and the same inputs give the same [Result] on every
// platform, so that the matching index and a plain reference matcher can be
// compared exactly.
//
// # Rules
//
// [Evaluate] applies every rule, in the order of [Rules], and reports each one
// that fails as a [Miss]. A candidate is eligible when nothing is missed.
//
//   - open: the vacancy's status is OPEN and now is before closes_at_unix_ms
//     (a vacancy closing exactly now is closed).
//   - visibility: the candidate may see the vacancy ([Visible]): a public
//     one anyone; an internal one those who say they work for the trust or
//     a trust of its group; a restricted one those of them (or of any NHS
//     employer, when it says so) who hold restricted status.
//   - role_family: the vacancy's role family is one the candidate wants.
//   - band: the vacancy's band is at or above the candidate's minimum band
//     (bands are numbered in pay order); no minimum accepts any band.
//   - contract, hours: the candidate lists none (any will do) or lists the
//     vacancy's contract, or one of its working patterns.
//   - setting: the candidate lists no settings or lists the vacancy's.
//   - salary: the top of the vacancy's range is at least the candidate's
//     minimum salary, when they give one.
//   - start_date: a candidate available from a date after the vacancy's
//     start date misses it; either date unset passes.
//   - distance: the distance from home to site, rounded to 0.1 km, is at most
//     the travel radius (a site exactly at the radius is inside), or the
//     candidate is willing to relocate.
//   - a_level_subjects: the candidate holds every A-level subject asked for.
//   - a_level_count: the candidate holds at least min_a_levels A levels.
//   - degree_subject: when a degree is asked for in listed subjects and the
//     candidate has a degree, it is in one of them. A candidate with no degree
//     at all is told once, by degree_class, not twice.
//   - degree_class: when a degree is asked for, the candidate has one of at
//     least that class (third < 2:2 < 2:1 < first).
//   - accredited_degree, msc, nvq: held when asked for.
//   - registration: every registration asked for is held; a Chartered Engineer
//     (CEng) registration also meets a requirement for Incorporated Engineer
//     (IEng), the lower grade of the same Engineering Council register.
//   - experience: years_experience is at least min_years_experience.
//   - essential: each essential group is met: by any one of its
//     alternatives, an alternative by all of its conditions (a degree of a
//     class in subjects, a higher degree, a level on the qualification
//     ladder, an award, an apprenticeship level, A levels or equivalents by
//     UCAS points and subjects, GCSE grades, a registration in a state, IPEM
//     membership, years of experience in a specialism). Predicted grades
//     and awards in progress count only in a condition that says so. A
//     registration asked "registered or working towards" is met by working
//     towards < eligible < registered; "eligible" by eligible or registered;
//     an Engineering Council grade by the same or a higher grade (EngTech <
//     IEng < CEng). Every group missed is a miss of its own, named in the
//     trust's words or described.
//
// Desirable groups never decide eligibility: each is named in the reasons,
// met or not met, and the share met is a part of the score.
//
// A group marked inferred (read by the importer from an advert's words, not
// stated by the trust) never decides eligibility either, even when the
// advert calls it essential: it counts as a desirable in the score and is
// named in the reasons as "Essential in the advert (inferred, not required
// here)" or "Desirable in the advert (inferred)", met or not met.
//
// A distance to or from a place known only to its postcode area is said
// as "about" so many km.
//
// The qualification rules ([Rule.Requirement]) test things a candidate can go
// and get; [NearMiss] picks out a candidate held back by exactly one of them.
//
// # Score
//
// Every result, eligible or not, has a score from 0 to 100 so that matches and
// near misses can be ranked. It is the sum of five parts, each computed in
// integer arithmetic; where a part divides, it is rounded to the nearest
// integer, halves up:
//
//   - specialisms, up to 30: 30 × (distinct vacancy specialisms the candidate
//     also lists) / (distinct vacancy specialisms); a neutral 15 when either
//     side lists none.
//   - distance, up to 25: with d the distance in tenths of a km (as rounded
//     for the distance rule) and r the radius in tenths, 25 × (r − d) / r
//     when d ≤ r (25 when r is 0 and d is 0); otherwise 10 for a candidate
//     willing to relocate and 0 for one who is not.
//   - band, up to 20: with over = vacancy band − minimum band (an unset
//     minimum counts as band 2, the default profiles are given), 20 when over
//     is 0 or 1, then 5 less for each further band, never below 0; 0 when the
//     vacancy is below the minimum.
//   - desirables, up to 15: 15 × (desirable groups met) / (desirable
//     groups), 15 when the vacancy lists none. Years of experience beyond
//     those asked count for nothing: no part of the score falls as they
//     rise.
//   - closing soon, up to 10: with t the time from now to closes_at_unix_ms
//     in milliseconds, 10 when 0 < t ≤ 7 days, 10 × (60 days − t) / 53 days
//     when 7 days < t < 60 days, and 0 when t ≥ 60 days or the closing time
//     has passed.
//
// [Less] orders ranked matches by that score, then by closing time, then by id.
package match
