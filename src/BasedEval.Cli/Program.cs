using var signals = new BasedEval.Cli.TerminationSignals(Console.Error);
return await BasedEval.Cli.BasedEvalApp.InvokeAsync(args, cancellationToken: signals.Stopping);
