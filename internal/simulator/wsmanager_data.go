package simulator

import (
	"strconv"

	"github.com/mmcontract/mmcontract/internal/managerpush"
)

// managerEventData is the data of event n of type typ. trade_deal carries
// the keys of the docs' example; the docs list no fields for the other
// types, so theirs are the Manager API's own names for the same records
// (customer, account, subject, position, funds), kept small.
func (s *Simulator) managerEventData(typ string, n int) obj {
	cust := s.customers[0]
	sym := s.symbols[n%len(s.symbols)]
	ms := s.now().UnixMilli()
	accountID := cust.CustomerID*10 + sym.tradeType
	base := obj{{"id", int64(100000 + n)}, {"companyId", s.companyID}, {"customerId", cust.CustomerID}, {"customerNo", cust.CustomerNo}}
	switch typ {
	case managerpush.TradeDeal:
		price := strconv.Itoa(1800+n%200) + ".25"
		return obj{
			{"accountDigits", int64(2)}, {"accountId", accountID}, {"bizType", int64([]int{1, 2, 3, 4, 12}[n%5])}, {"companyId", s.companyID},
			{"contractSize", "1"}, {"convertExchangeRate", "1"}, {"convertFee", "0.18"}, {"convertFeeDigits", int64(2)},
			{"createTime", ms}, {"customerGroupId", int64(1)}, {"customerId", cust.CustomerID}, {"customerNo", cust.CustomerNo},
			{"digits", int64(sym.digits)}, {"direction", int64(1 + n%2)}, {"executeMargin", "18.25"}, {"executeMarginCategoryId", int64(1)},
			{"executeNum", "0.10"}, {"executePrice", price}, {"executeTime", ms}, {"fee", "0.18"}, {"feeDigits", int64(2)},
			{"id", int64(800000 + n)}, {"orderId", int64(700000 + n)}, {"orderStatus", int64(2)}, {"pointRatio", int64(sym.pointRatio)},
			{"positionId", int64(900000 + n)}, {"spread", "0.5"}, {"symbolId", sym.id}, {"symbolName", sym.name},
			{"tradeType", sym.tradeType}, {"pnl", "1.25"}, {"source", int64(4)}, {"thirdPartyOrder", ""}, {"updateTime", ms},
		}
	case managerpush.Register, managerpush.CustomerUpdate:
		return base.with("customerGroupId", int64(1)).with("status", int64(1)).with("createTime", ms).with("updateTime", ms)
	case managerpush.CustomerInfoInsert, managerpush.CustomerInfoUpdate, managerpush.KYC:
		return base.with("kycStatus", int64(n%3)).with("countryCode", "SG").with("updateTime", ms)
	case managerpush.OpenAccount, managerpush.AccountUpdate:
		return base.with("accountId", accountID).with("tradeType", sym.tradeType).with("currency", "USDT").
			with("accountDigits", int64(2)).with("updateTime", ms)
	case managerpush.SubjectInsert, managerpush.SubjectUpdate:
		return base.with("accountId", accountID).with("subjectType", int64(1+n%27)).with("amount", "1000.00").with("updateTime", ms)
	case managerpush.SubjectWaterInsert, managerpush.SubjectWaterUpdate:
		return base.with("accountId", accountID).with("subjectType", int64(1+n%27)).with("changeAmount", "-0.18").
			with("afterAmount", "999.82").with("createTime", ms)
	case managerpush.PositionInsert, managerpush.PositionUpdate, managerpush.PositionDelete:
		return base.with("id", int64(900000+n)).with("accountId", accountID).with("symbolId", sym.id).with("tradeType", sym.tradeType).
			with("direction", int64(1+n%2)).with("openPrice", strconv.Itoa(1800+n%200)+".25").with("volume", "0.10").with("updateTime", ms)
	default: // deposit, account_adjust, withdraw
		return base.with("accountId", accountID).with("currency", "USDT").with("amount", "100.00").with("status", int64(2)).with("createTime", ms)
	}
}
