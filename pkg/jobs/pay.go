package jobs

import (
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// afcEngland2025 is the Agenda for Change pay points in England from 1
// April 2025 (the 2025/26 pay award, 3.6%), whole pounds a year, full time,
// before any high cost area supplement: each band's points, lowest first.
var afcEngland2025 = map[eventsv1.Band][]int32{
	eventsv1.Band_BAND_2:  {24465},
	eventsv1.Band_BAND_3:  {24937, 26598},
	eventsv1.Band_BAND_4:  {27485, 30162},
	eventsv1.Band_BAND_5:  {31049, 33487, 37796},
	eventsv1.Band_BAND_6:  {38682, 40823, 46580},
	eventsv1.Band_BAND_7:  {47810, 50273, 54710},
	eventsv1.Band_BAND_8A: {55690, 62682},
	eventsv1.Band_BAND_8B: {64455, 74896},
	eventsv1.Band_BAND_8C: {76965, 88682},
	eventsv1.Band_BAND_8D: {91342, 105337},
	eventsv1.Band_BAND_9:  {109179, 125637},
}

// PayPoints returns a band's 2025/26 pay points in England, lowest first.
func PayPoints(b eventsv1.Band) []int32 { return afcEngland2025[b] }

// checkPay checks a salary range against the band's pay points when the
// pay scale is England's: the range lies within the band, from its first
// point to its top.
func (c *checker) checkPay(scale eventsv1.PayScale, band eventsv1.Band, lo, hi int32) {
	points := afcEngland2025[band]
	if scale != eventsv1.PayScale_PAY_SCALE_AFC_ENGLAND || len(points) == 0 || lo == 0 {
		return
	}
	first, top := points[0], points[len(points)-1]
	if lo < first || hi > top {
		c.add("/salary", "band %s pays £%d to £%d a year full time (Agenda for Change, England, 2025/26 pay points); this range is £%d to £%d",
			Name(band), first, top, lo, hi)
	}
}
