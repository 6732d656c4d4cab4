package simulator

func (s *Simulator) generatedOp(bizType string) *op { return nil }
