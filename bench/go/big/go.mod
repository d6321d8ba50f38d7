module example.com/bench/big

go 1.19
