using BenchmarkDotNet.Running;
using KeyShareDetector.Benchmarks;

// Every benchmark:          dotnet run -c Release --project tests/KeyShareDetector.Benchmarks -- --filter '*'
// A quick look (fewer runs): dotnet run -c Release --project tests/KeyShareDetector.Benchmarks -- --filter '*Distinct*' --job short
// See README.md beside this file for what each benchmark measures.
BenchmarkSwitcher.FromAssembly(typeof(DistinctCounterBenchmarks).Assembly).Run(args);
