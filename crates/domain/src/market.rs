//! The NYSE trading session at an instant, for `GET /api/v2/market/status`: which session runs,
//! whether the day trades, and exactly when the next open, close and session change fall.
//! Time is an input: every function takes the instant or date it is asked about.
//!
//! # Rules used
//!
//! All times are New York wall-clock times (`America/New_York`, so EST or EDT as the day
//! has it); instants are converted with the IANA time-zone database.
//!
//! **Sessions on a trading day**
//!
//! | session       | regular day   | early-close day |
//! |---------------|---------------|-----------------|
//! | `pre`         | 04:00–09:30   | 04:00–09:30     |
//! | `open`        | 09:30–16:00   | 09:30–13:00     |
//! | `after_hours` | 16:00–20:00   | 13:00–17:00     |
//! | `closed`      | otherwise     | otherwise       |
//!
//! Each interval includes its start and excludes its end: at 09:30:00 the market is `open`, at
//! 16:00:00 it is `after_hours`. Weekends and holidays are `closed` all day.
//!
//! **Holidays** (NYSE Rule 7.2), computed by rule for any year:
//! - New Year's Day, January 1. On a Sunday it is observed on Monday, January 2. On a
//!   Saturday it is *not* observed: the preceding Friday, December 31, ends the yearly
//!   accounting period, which Rule 7.2 exempts, so it trades (as on 2021-12-31).
//! - Martin Luther King, Jr. Day, the third Monday in January.
//! - Washington's Birthday, the third Monday in February.
//! - Good Friday, two days before Easter Sunday (Gregorian Easter, anonymous Gregorian
//!   algorithm as given by Meeus).
//! - Memorial Day, the last Monday in May.
//! - Juneteenth National Independence Day, June 19, from 2022 on (the year NYSE added it).
//! - Independence Day, July 4.
//! - Labor Day, the first Monday in September.
//! - Thanksgiving Day, the fourth Thursday in November.
//! - Christmas Day, December 25.
//!
//! A fixed-date holiday other than New Year's Day that falls on a Saturday closes the exchange
//! on the preceding Friday; one that falls on a Sunday closes it on the following Monday.
//!
//! **Early closes** at 13:00, with after-hours trading until 17:00:
//! - July 3, when it is a trading day (not when July 4 falls on a Saturday, which makes
//!   Friday July 3 the holiday, nor when July 3 is a weekend day);
//! - the day after Thanksgiving;
//! - December 24, when it is a trading day (not when Christmas falls on a Saturday, which makes
//!   Friday December 24 the holiday, nor when December 24 is a weekend day).
//!
//! **Not covered:** one-off closures announced at short notice (national days of mourning such
//! as 2025-01-09, weather, emergencies) and the exchange's historical calendars (before 2022 the
//! holiday set differed, e.g. no Juneteenth; before 1998 no Martin Luther King, Jr. Day). The
//! rules describe the current NYSE calendar, as published for 2025–2027.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use serde::{Deserialize, Serialize};

/// The exchange whose calendar this module follows.
pub const EXCHANGE: &str = "NYSE";
/// The IANA name of the time zone the session times are given in.
pub const TIMEZONE: &str = "America/New_York";

const PRE_MARKET_OPEN: NaiveTime = wall_time(4, 0);
const REGULAR_OPEN: NaiveTime = wall_time(9, 30);
const REGULAR_CLOSE: NaiveTime = wall_time(16, 0);
const AFTER_HOURS_CLOSE: NaiveTime = wall_time(20, 0);
const EARLY_CLOSE: NaiveTime = wall_time(13, 0);
const EARLY_AFTER_HOURS_CLOSE: NaiveTime = wall_time(17, 0);

/// How many days, today included, the next open, close and change are searched over. The
/// exchange is never closed more than three days in a row (a holiday beside a weekend), so a
/// trading day whose sessions all lie ahead is always within the first five.
const SEARCH_DAYS: usize = 10;

/// The part of the trading day an instant falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Session {
    /// Pre-market trading, 04:00 until the regular open.
    Pre,
    /// The regular session.
    Open,
    /// After-hours trading, from the regular close for four hours.
    AfterHours,
    /// No trading: nights, weekends and holidays.
    Closed,
}

/// The exchange's state at one instant, as the market-status route returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarketStatus {
    /// Always [`EXCHANGE`].
    pub exchange: &'static str,
    pub session: Session,
    /// True only in [`Session::Open`].
    pub is_open: bool,
    /// Whether the New York calendar day of the instant is a trading day.
    pub is_trading_day: bool,
    /// The holiday the exchange is closed for on this New York day, if any.
    pub holiday: Option<&'static str>,
    /// Whether this New York day closes at 13:00; true all that day, pre-market included.
    pub early_close: bool,
    /// Always [`TIMEZONE`].
    pub timezone: &'static str,
    /// The instant as New York wall-clock time, RFC 3339 with its UTC offset.
    pub local_time: String,
    /// The first start of a regular session strictly after the instant.
    pub next_open: DateTime<Utc>,
    /// The first end of a regular session strictly after the instant: the end of the current
    /// session when open, otherwise of the next one.
    pub next_close: DateTime<Utc>,
    /// The first instant strictly after this one at which `session` changes.
    pub next_change: DateTime<Utc>,
}

/// The exchange's state at `now`.
///
/// # Panics
///
/// Only within ten days of the last date chrono can represent (the year 262143), where the
/// forward search runs out of calendar.
pub fn status_at(now: DateTime<Utc>) -> MarketStatus {
    let local = now.with_timezone(&New_York);
    let today = local.date_naive();
    let today_hours = TradingDay::on(today);
    let session = today_hours.map_or(Session::Closed, |day| day.session_at(now));
    let ahead: Vec<TradingDay> = today.iter_days().take(SEARCH_DAYS).filter_map(TradingDay::on).collect();

    MarketStatus {
        exchange: EXCHANGE,
        session,
        is_open: session == Session::Open,
        is_trading_day: today_hours.is_some(),
        holiday: holiday(today),
        early_close: today_hours.is_some_and(|day| day.early_close),
        timezone: TIMEZONE,
        local_time: local.to_rfc3339(),
        next_open: first_after(now, ahead.iter().map(|day| day.open)),
        next_close: first_after(now, ahead.iter().map(|day| day.close)),
        next_change: first_after(now, ahead.iter().flat_map(TradingDay::boundaries)),
    }
}

/// The holiday the exchange is closed for on `date`, by the rules in the module docs.
///
/// Names the day the exchange actually closes: for Independence Day 2026 that is Friday
/// 2026-07-03, and Saturday 2026-07-04 gives `None` (closed for the weekend, not the holiday).
pub fn holiday(date: NaiveDate) -> Option<&'static str> {
    use Weekday::{Mon, Sat, Sun, Thu};

    let (year, day, weekday) = (date.year(), date.day(), date.weekday());
    if matches!(weekday, Sat | Sun) {
        return None;
    }
    let observed = |month, day_of_month| observed_on(year, month, day_of_month) == Some(date);
    let name = match date.month() {
        // January 1 on a weekday, or Monday January 2 after a Sunday New Year. A Saturday
        // New Year's Day is not moved to December 31 (Rule 7.2's year-end exemption).
        1 if day == 1 || (day == 2 && weekday == Mon) => "New Year's Day",
        1 if weekday == Mon && (15..=21).contains(&day) => "Martin Luther King, Jr. Day",
        2 if weekday == Mon && (15..=21).contains(&day) => "Washington's Birthday",
        3 | 4 if good_friday(year) == Some(date) => "Good Friday",
        5 if weekday == Mon && day >= 25 => "Memorial Day",
        6 if year >= 2022 && observed(6, 19) => "Juneteenth National Independence Day",
        7 if observed(7, 4) => "Independence Day",
        9 if weekday == Mon && day <= 7 => "Labor Day",
        11 if weekday == Thu && (22..=28).contains(&day) => "Thanksgiving Day",
        12 if observed(12, 25) => "Christmas Day",
        _ => return None,
    };
    Some(name)
}

/// Whether the exchange trades on `date`: a weekday that is not a holiday.
pub fn is_trading_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && holiday(date).is_none()
}

/// Whether `date` is a trading day whose regular session closes at 13:00 (after-hours until
/// 17:00): July 3, the day after Thanksgiving and December 24, each only when it trades.
pub fn is_early_close(date: NaiveDate) -> bool {
    is_trading_day(date)
        && match (date.month(), date.day()) {
            (7, 3) | (12, 24) => true,
            // The Friday after the fourth Thursday (22nd–28th).
            (11, day) => date.weekday() == Weekday::Fri && (23..=29).contains(&day),
            _ => false,
        }
}

/// One trading day's session boundaries, as instants.
#[derive(Debug, Clone, Copy)]
struct TradingDay {
    pre_open: DateTime<Utc>,
    open: DateTime<Utc>,
    close: DateTime<Utc>,
    after_close: DateTime<Utc>,
    early_close: bool,
}

impl TradingDay {
    fn on(date: NaiveDate) -> Option<Self> {
        if !is_trading_day(date) {
            return None;
        }
        let early_close = is_early_close(date);
        let (close, after_close) = if early_close {
            (EARLY_CLOSE, EARLY_AFTER_HOURS_CLOSE)
        } else {
            (REGULAR_CLOSE, AFTER_HOURS_CLOSE)
        };
        Some(Self {
            pre_open: new_york(date, PRE_MARKET_OPEN),
            open: new_york(date, REGULAR_OPEN),
            close: new_york(date, close),
            after_close: new_york(date, after_close),
            early_close,
        })
    }

    fn session_at(&self, now: DateTime<Utc>) -> Session {
        if now < self.pre_open {
            Session::Closed
        } else if now < self.open {
            Session::Pre
        } else if now < self.close {
            Session::Open
        } else if now < self.after_close {
            Session::AfterHours
        } else {
            Session::Closed
        }
    }

    /// Every instant at which the session changes on this day. Between trading days the
    /// session stays `Closed`, so these are all the changes there are.
    fn boundaries(&self) -> [DateTime<Utc>; 4] {
        [self.pre_open, self.open, self.close, self.after_close]
    }
}

fn first_after(now: DateTime<Utc>, instants: impl IntoIterator<Item = DateTime<Utc>>) -> DateTime<Utc> {
    instants
        .into_iter()
        .find(|instant| *instant > now)
        .expect("a trading day lies within SEARCH_DAYS of any representable date")
}

/// The instant New York's wall clock shows `time` on `date`.
fn new_york(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let wall = date.and_time(time);
    match New_York.from_local_datetime(&wall).earliest() {
        Some(instant) => instant.to_utc(),
        // A wall time skipped by a clock change. New York changes clocks at 02:00 and no
        // session boundary is near it (a test checks this for 1970–2100); should the rules
        // ever move, read the wall time with the offset in force at the same UTC reading
        // rather than fail.
        None => {
            let offset = New_York.offset_from_utc_datetime(&wall).fix();
            wall.and_utc() - TimeDelta::seconds(i64::from(offset.local_minus_utc()))
        }
    }
}

/// The day a fixed-date holiday closes the exchange: Saturday moves to Friday, Sunday to Monday.
fn observed_on(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    match date.weekday() {
        Weekday::Sat => date.pred_opt(),
        Weekday::Sun => date.succ_opt(),
        _ => Some(date),
    }
}

fn good_friday(year: i32) -> Option<NaiveDate> {
    easter_sunday(year)?.checked_sub_days(Days::new(2))
}

/// Gregorian Easter Sunday by the anonymous Gregorian algorithm (Meeus, *Astronomical
/// Algorithms*, ch. 8). `None` only for years chrono cannot represent.
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

const fn wall_time(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(time) => time,
        None => panic!("session boundaries are valid wall-clock times"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn utc(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    fn session(rfc3339: &str) -> Session {
        status_at(utc(rfc3339)).session
    }

    fn holidays_in(year: i32) -> Vec<(NaiveDate, &'static str)> {
        date(year, 1, 1)
            .iter_days()
            .take_while(|day| day.year() == year)
            .filter_map(|day| holiday(day).map(|name| (day, name)))
            .collect()
    }

    fn early_closes_in(year: i32) -> Vec<NaiveDate> {
        date(year, 1, 1)
            .iter_days()
            .take_while(|day| day.year() == year)
            .filter(|day| is_early_close(*day))
            .collect()
    }

    #[test]
    fn easter_sunday_matches_published_dates_including_the_extremes() {
        let cases = [
            (2000, date(2000, 4, 23)),
            (2019, date(2019, 4, 21)),
            (2024, date(2024, 3, 31)),
            (2025, date(2025, 4, 20)),
            (2026, date(2026, 4, 5)),
            (2027, date(2027, 3, 28)),
            // Latest possible Easter.
            (1943, date(1943, 4, 25)),
            (2038, date(2038, 4, 25)),
            // Earliest possible Easter.
            (1818, date(1818, 3, 22)),
            (2285, date(2285, 3, 22)),
        ];
        for (year, expected) in cases {
            assert_eq!(easter_sunday(year), Some(expected), "Easter {year}");
        }
    }

    #[test]
    fn holidays_2025_are_those_nyse_published() {
        // The 2025-01-09 closure for President Carter's national day of mourning was a one-off
        // and is deliberately absent.
        assert_eq!(
            holidays_in(2025),
            vec![
                (date(2025, 1, 1), "New Year's Day"),
                (date(2025, 1, 20), "Martin Luther King, Jr. Day"),
                (date(2025, 2, 17), "Washington's Birthday"),
                (date(2025, 4, 18), "Good Friday"),
                (date(2025, 5, 26), "Memorial Day"),
                (date(2025, 6, 19), "Juneteenth National Independence Day"),
                (date(2025, 7, 4), "Independence Day"),
                (date(2025, 9, 1), "Labor Day"),
                (date(2025, 11, 27), "Thanksgiving Day"),
                (date(2025, 12, 25), "Christmas Day"),
            ]
        );
        assert!(is_trading_day(date(2025, 1, 9)));
        assert_eq!(early_closes_in(2025), vec![date(2025, 7, 3), date(2025, 11, 28), date(2025, 12, 24)]);
    }

    #[test]
    fn holidays_2026_are_those_nyse_published() {
        assert_eq!(
            holidays_in(2026),
            vec![
                (date(2026, 1, 1), "New Year's Day"),
                (date(2026, 1, 19), "Martin Luther King, Jr. Day"),
                (date(2026, 2, 16), "Washington's Birthday"),
                (date(2026, 4, 3), "Good Friday"),
                (date(2026, 5, 25), "Memorial Day"),
                (date(2026, 6, 19), "Juneteenth National Independence Day"),
                // July 4 is a Saturday.
                (date(2026, 7, 3), "Independence Day"),
                (date(2026, 9, 7), "Labor Day"),
                (date(2026, 11, 26), "Thanksgiving Day"),
                (date(2026, 12, 25), "Christmas Day"),
            ]
        );
        // July 3 is the holiday itself, so July 2 is a full day.
        assert_eq!(early_closes_in(2026), vec![date(2026, 11, 27), date(2026, 12, 24)]);
    }

    #[test]
    fn holidays_2027_are_those_nyse_published() {
        assert_eq!(
            holidays_in(2027),
            vec![
                (date(2027, 1, 1), "New Year's Day"),
                (date(2027, 1, 18), "Martin Luther King, Jr. Day"),
                (date(2027, 2, 15), "Washington's Birthday"),
                (date(2027, 3, 26), "Good Friday"),
                (date(2027, 5, 31), "Memorial Day"),
                // June 19 is a Saturday.
                (date(2027, 6, 18), "Juneteenth National Independence Day"),
                // July 4 is a Sunday.
                (date(2027, 7, 5), "Independence Day"),
                (date(2027, 9, 6), "Labor Day"),
                (date(2027, 11, 25), "Thanksgiving Day"),
                // December 25 is a Saturday.
                (date(2027, 12, 24), "Christmas Day"),
            ]
        );
        // July 3 is a Saturday and December 24 the Christmas holiday: one early close.
        assert_eq!(early_closes_in(2027), vec![date(2027, 11, 26)]);
        assert!(!is_early_close(date(2027, 7, 2)));
        assert!(!is_early_close(date(2027, 12, 23)));
    }

    #[test]
    fn a_saturday_new_year_is_not_observed_on_the_friday_before() {
        assert_eq!(holiday(date(2021, 12, 31)), None);
        assert!(is_trading_day(date(2021, 12, 31)));
        assert!(!is_trading_day(date(2022, 1, 1)));
        // 2022's list as NYSE published it: no New Year's Day at all.
        let names: Vec<_> = holidays_in(2022).into_iter().map(|(_, name)| name).collect();
        assert!(!names.contains(&"New Year's Day"), "{names:?}");
        assert_eq!(names.len(), 9);
    }

    #[test]
    fn sunday_holidays_move_to_monday() {
        assert_eq!(holiday(date(2023, 1, 2)), Some("New Year's Day"));
        assert_eq!(holiday(date(2022, 6, 20)), Some("Juneteenth National Independence Day"));
        assert_eq!(holiday(date(2022, 12, 26)), Some("Christmas Day"));
        assert_eq!(holiday(date(2021, 7, 5)), Some("Independence Day"));
    }

    #[test]
    fn juneteenth_closes_the_exchange_only_from_2022() {
        // June 19, 2021 was a Saturday; the exchange traded on Friday June 18.
        assert!(is_trading_day(date(2021, 6, 18)));
        assert_eq!(holiday(date(2024, 6, 19)), Some("Juneteenth National Independence Day"));
    }

    #[test]
    fn a_holiday_on_a_weekend_day_names_the_weekday_that_closes_for_it() {
        assert_eq!(holiday(date(2026, 7, 4)), None);
        assert!(!is_trading_day(date(2026, 7, 4)));
        let status = status_at(utc("2026-07-04T16:00:00Z"));
        assert_eq!(status.holiday, None);
        assert!(!status.is_trading_day);
    }

    #[test]
    fn session_boundaries_in_winter_are_five_hours_behind_utc() {
        // Wednesday 2026-01-14, EST (UTC-5).
        assert_eq!(session("2026-01-14T08:59:59Z"), Session::Closed);
        assert_eq!(session("2026-01-14T09:00:00Z"), Session::Pre); // 04:00 ET
        assert_eq!(session("2026-01-14T14:29:59Z"), Session::Pre);
        assert_eq!(session("2026-01-14T14:30:00Z"), Session::Open); // 09:30 ET
        assert_eq!(session("2026-01-14T20:59:59Z"), Session::Open);
        assert_eq!(session("2026-01-14T21:00:00Z"), Session::AfterHours); // 16:00 ET
        assert_eq!(session("2026-01-15T00:59:59Z"), Session::AfterHours);
        assert_eq!(session("2026-01-15T01:00:00Z"), Session::Closed); // 20:00 ET
    }

    #[test]
    fn session_boundaries_in_summer_are_four_hours_behind_utc() {
        // Wednesday 2026-07-15, EDT (UTC-4).
        assert_eq!(session("2026-07-15T07:59:59Z"), Session::Closed);
        assert_eq!(session("2026-07-15T08:00:00Z"), Session::Pre); // 04:00 ET
        assert_eq!(session("2026-07-15T13:29:59Z"), Session::Pre);
        assert_eq!(session("2026-07-15T13:30:00Z"), Session::Open); // 09:30 ET
        assert_eq!(session("2026-07-15T19:59:59Z"), Session::Open);
        assert_eq!(session("2026-07-15T20:00:00Z"), Session::AfterHours); // 16:00 ET
        assert_eq!(session("2026-07-15T23:59:59Z"), Session::AfterHours);
        assert_eq!(session("2026-07-16T00:00:00Z"), Session::Closed); // 20:00 ET
    }

    #[test]
    fn an_open_market_reports_its_own_close_and_tomorrows_open() {
        let status = status_at(utc("2026-01-14T15:00:00Z"));
        assert_eq!(status.session, Session::Open);
        assert!(status.is_open);
        assert!(status.is_trading_day);
        assert!(!status.early_close);
        assert_eq!(status.local_time, "2026-01-14T10:00:00-05:00");
        assert_eq!(status.next_close, utc("2026-01-14T21:00:00Z"));
        assert_eq!(status.next_change, utc("2026-01-14T21:00:00Z"));
        assert_eq!(status.next_open, utc("2026-01-15T14:30:00Z"));
    }

    #[test]
    fn the_monday_after_clocks_spring_forward_opens_an_hour_earlier_in_utc() {
        // Friday 2026-03-06 is EST; clocks change on Sunday 2026-03-08; Monday is EDT.
        let friday_evening = status_at(utc("2026-03-07T01:00:00Z")); // Fri 20:00 EST
        assert_eq!(friday_evening.session, Session::Closed);
        assert_eq!(friday_evening.local_time, "2026-03-06T20:00:00-05:00");
        assert_eq!(friday_evening.next_change, utc("2026-03-09T08:00:00Z")); // Mon 04:00 EDT
        assert_eq!(friday_evening.next_open, utc("2026-03-09T13:30:00Z")); // Mon 09:30 EDT
        assert_eq!(friday_evening.next_close, utc("2026-03-09T20:00:00Z"));

        let transition_day = status_at(utc("2026-03-08T15:00:00Z"));
        assert_eq!(transition_day.session, Session::Closed);
        assert_eq!(transition_day.local_time, "2026-03-08T11:00:00-04:00");

        assert_eq!(session("2026-03-09T13:29:59Z"), Session::Pre);
        assert_eq!(session("2026-03-09T13:30:00Z"), Session::Open);
        assert_eq!(session("2026-03-09T20:00:00Z"), Session::AfterHours);
    }

    #[test]
    fn the_monday_after_clocks_fall_back_opens_an_hour_later_in_utc() {
        // Friday 2026-10-30 is EDT; clocks change on Sunday 2026-11-01; Monday is EST.
        assert_eq!(session("2026-10-30T19:59:59Z"), Session::Open); // Fri 15:59:59 EDT
        assert_eq!(session("2026-10-30T20:00:00Z"), Session::AfterHours);
        let sunday = status_at(utc("2026-11-01T12:00:00Z"));
        assert_eq!(sunday.local_time, "2026-11-01T07:00:00-05:00");
        assert_eq!(sunday.next_change, utc("2026-11-02T09:00:00Z")); // Mon 04:00 EST
        assert_eq!(sunday.next_open, utc("2026-11-02T14:30:00Z"));
        assert_eq!(session("2026-11-02T14:29:59Z"), Session::Pre);
        assert_eq!(session("2026-11-02T14:30:00Z"), Session::Open);
        assert_eq!(session("2026-11-02T21:00:00Z"), Session::AfterHours);
        assert_eq!(session("2026-11-03T01:00:00Z"), Session::Closed);
    }

    #[test]
    fn the_day_after_thanksgiving_closes_at_one_with_after_hours_until_five() {
        // Friday 2026-11-27, EST: 13:00 ET is 18:00Z, 17:00 ET is 22:00Z.
        let morning = status_at(utc("2026-11-27T15:00:00Z"));
        assert_eq!(morning.session, Session::Open);
        assert!(morning.early_close);
        assert_eq!(morning.next_close, utc("2026-11-27T18:00:00Z"));
        assert_eq!(session("2026-11-27T17:59:59Z"), Session::Open);

        let at_close = status_at(utc("2026-11-27T18:00:00Z"));
        assert_eq!(at_close.session, Session::AfterHours);
        assert_eq!(at_close.next_change, utc("2026-11-27T22:00:00Z"));
        assert_eq!(at_close.next_open, utc("2026-11-30T14:30:00Z"));
        assert_eq!(at_close.next_close, utc("2026-11-30T21:00:00Z"));
        assert_eq!(session("2026-11-27T21:59:59Z"), Session::AfterHours);
        assert_eq!(session("2026-11-27T22:00:00Z"), Session::Closed);

        let thanksgiving = status_at(utc("2026-11-26T15:00:00Z"));
        assert_eq!(thanksgiving.session, Session::Closed);
        assert_eq!(thanksgiving.holiday, Some("Thanksgiving Day"));
        assert_eq!(thanksgiving.next_open, utc("2026-11-27T14:30:00Z"));
        assert_eq!(thanksgiving.next_close, utc("2026-11-27T18:00:00Z"));
    }

    #[test]
    fn christmas_eve_2026_closes_at_one_and_reopens_after_the_weekend() {
        // Thursday 2026-12-24; Christmas is Friday.
        assert_eq!(session("2026-12-24T17:59:59Z"), Session::Open);
        let afternoon = status_at(utc("2026-12-24T19:00:00Z")); // 14:00 ET
        assert_eq!(afternoon.session, Session::AfterHours);
        assert!(afternoon.early_close);
        assert_eq!(afternoon.next_change, utc("2026-12-24T22:00:00Z"));
        assert_eq!(afternoon.next_open, utc("2026-12-28T14:30:00Z"));
        assert_eq!(afternoon.next_close, utc("2026-12-28T21:00:00Z"));
    }

    #[test]
    fn july_third_closes_early_in_summer_time() {
        // Thursday 2025-07-03, EDT: 13:00 ET is 17:00Z, 17:00 ET is 21:00Z.
        assert_eq!(session("2025-07-03T16:59:59Z"), Session::Open);
        assert_eq!(session("2025-07-03T17:00:00Z"), Session::AfterHours);
        assert_eq!(session("2025-07-03T20:59:59Z"), Session::AfterHours);
        assert_eq!(session("2025-07-03T21:00:00Z"), Session::Closed);
        // In 2026 the holiday is July 3 itself, and Thursday July 2 runs a full day.
        assert_eq!(session("2026-07-02T19:59:59Z"), Session::Open);
        assert_eq!(session("2026-07-02T23:59:59Z"), Session::AfterHours);
    }

    #[test]
    fn next_open_from_friday_evening_is_monday_morning() {
        let status = status_at(utc("2026-01-09T23:00:00Z")); // Fri 18:00 EST
        assert_eq!(status.session, Session::AfterHours);
        assert_eq!(status.next_open, utc("2026-01-12T14:30:00Z"));
        assert_eq!(status.next_change, utc("2026-01-10T01:00:00Z"));
    }

    #[test]
    fn next_open_before_a_monday_holiday_is_tuesday() {
        // Martin Luther King, Jr. Day is Monday 2026-01-19.
        let friday = status_at(utc("2026-01-16T23:00:00Z"));
        assert_eq!(friday.next_open, utc("2026-01-20T14:30:00Z"));
        let sunday = status_at(utc("2026-01-18T23:00:00Z")); // Sun 18:00 EST
        assert_eq!(sunday.next_open, utc("2026-01-20T14:30:00Z"));
        assert_eq!(sunday.next_change, utc("2026-01-20T09:00:00Z"));
        let holiday = status_at(utc("2026-01-19T17:00:00Z"));
        assert_eq!(holiday.session, Session::Closed);
        assert_eq!(holiday.holiday, Some("Martin Luther King, Jr. Day"));
        assert!(!holiday.is_trading_day);
        // Good Friday 2026-04-03: from Thursday evening the next open is Monday, in EDT.
        let thursday = status_at(utc("2026-04-03T00:30:00Z"));
        assert_eq!(thursday.next_open, utc("2026-04-06T13:30:00Z"));
    }

    #[test]
    fn status_serialises_with_snake_case_names_and_utc_instants() {
        let json = serde_json::to_value(status_at(utc("2026-11-27T19:15:00Z"))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "exchange": "NYSE",
                "session": "after_hours",
                "is_open": false,
                "is_trading_day": true,
                "holiday": null,
                "early_close": true,
                "timezone": "America/New_York",
                "local_time": "2026-11-27T14:15:00-05:00",
                "next_open": "2026-11-30T14:30:00Z",
                "next_close": "2026-11-30T21:00:00Z",
                "next_change": "2026-11-27T22:00:00Z",
            })
        );
        let holiday = serde_json::to_value(status_at(utc("2026-12-25T15:00:00Z"))).unwrap();
        assert_eq!(holiday["session"], "closed");
        assert_eq!(holiday["holiday"], "Christmas Day");
    }

    #[test]
    fn the_exchange_is_never_closed_more_than_three_days_running() {
        // Bounds the forward search: with at most three closed days in a row, the next
        // trading day is at most four days ahead, well inside SEARCH_DAYS.
        let mut longest = 0;
        let mut run = 0;
        for day in date(1950, 1, 1).iter_days().take_while(|day| day.year() <= 2400) {
            run = if is_trading_day(day) { 0 } else { run + 1 };
            longest = longest.max(run);
        }
        assert_eq!(longest, 3);
    }

    #[test]
    fn session_boundaries_never_fall_in_a_clock_change() {
        let wall_times = [
            PRE_MARKET_OPEN,
            REGULAR_OPEN,
            EARLY_CLOSE,
            REGULAR_CLOSE,
            EARLY_AFTER_HOURS_CLOSE,
            AFTER_HOURS_CLOSE,
        ];
        for day in date(1970, 1, 1).iter_days().take_while(|day| day.year() <= 2100) {
            for time in wall_times {
                let local = new_york(day, time).with_timezone(&New_York);
                assert_eq!(local.naive_local(), day.and_time(time), "{day} {time}");
            }
        }
    }

    /// Walks `next_change` from `now` and returns the first regular open and close it meets.
    /// Bounded, so a `next_change` that stops moving fails the test instead of hanging it: a
    /// week holds far fewer than 64 changes.
    fn open_and_close_by_walking(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let (mut open, mut close) = (None, None);
        let mut at = now;
        let mut current = status_at(now).session;
        for _ in 0..64 {
            if open.is_some() && close.is_some() {
                break;
            }
            let next_change = status_at(at).next_change;
            assert!(next_change > at, "next_change {next_change} is not after {at}");
            at = next_change;
            let next = status_at(at).session;
            if next == Session::Open {
                open.get_or_insert(at);
            }
            if current == Session::Open {
                close.get_or_insert(at);
            }
            current = next;
        }
        (open.expect("an open within 64 changes"), close.expect("a close within 64 changes"))
    }

    #[test]
    fn next_change_open_and_close_are_exact_over_many_instants() {
        // An odd stride so instants land at every offset within the day, plus each hand-
        // checked boundary from the tests above and one second either side of it.
        let stride = TimeDelta::seconds(2 * 3600 + 17 * 60 + 13);
        let mut instants: Vec<DateTime<Utc>> = Vec::new();
        let mut at = utc("2025-12-20T00:00:00Z");
        while at < utc("2027-01-10T00:00:00Z") {
            instants.push(at);
            at += stride;
        }
        for boundary in [
            "2026-01-14T09:00:00Z",
            "2026-01-14T14:30:00Z",
            "2026-01-14T21:00:00Z",
            "2026-01-15T01:00:00Z",
            "2026-03-09T08:00:00Z",
            "2026-11-02T09:00:00Z",
            "2026-11-27T18:00:00Z",
            "2026-11-27T22:00:00Z",
            "2026-12-24T18:00:00Z",
            "2026-12-24T22:00:00Z",
        ] {
            let boundary = utc(boundary);
            instants.extend([boundary - TimeDelta::seconds(1), boundary, boundary + TimeDelta::seconds(1)]);
        }

        for now in instants {
            let status = status_at(now);
            assert_eq!(status.is_open, status.session == Session::Open, "{now}");

            // The session holds until next_change, then differs.
            assert!(status.next_change > now, "{now}");
            let just_before = status.next_change - TimeDelta::seconds(1);
            assert_eq!(status_at(just_before.max(now)).session, status.session, "{now}");
            assert_ne!(status_at(status.next_change).session, status.session, "{now}");

            // next_open starts a regular session out of pre-market; next_close ends one.
            assert!(status.next_open > now && status.next_close > now, "{now}");
            assert_eq!(status_at(status.next_open).session, Session::Open, "{now}");
            assert_eq!(status_at(status.next_open - TimeDelta::seconds(1)).session, Session::Pre, "{now}");
            assert_eq!(status_at(status.next_close - TimeDelta::seconds(1)).session, Session::Open, "{now}");
            assert_eq!(status_at(status.next_close).session, Session::AfterHours, "{now}");

            // And they are the first such instants: nothing opens or closes in between.
            assert_eq!(open_and_close_by_walking(now), (status.next_open, status.next_close), "{now}");
        }
    }
}
