__workflow__ = {
    'WFQuickActionSurfaces': [],
    'WFWorkflowClientVersion': '''2302.0.4''',
    'WFWorkflowHasOutputFallback': False,
    'WFWorkflowHasShortcutInputVariables': False,
    'WFWorkflowIcon': plain({'WFWorkflowIconGlyphNumber': 59849, 'WFWorkflowIconStartColor': 4271458815}),
    'WFWorkflowImportQuestions': [plain({'ActionIndex': 1, 'Category': '''Parameter''', 'DefaultValue': 18.5, 'ParameterKey': '''WFNumberActionNumber''', 'Text': '''What percentage do you usually tip?'''})],
    'WFWorkflowInputContentItemClasses': [],
    'WFWorkflowMinimumClientVersion': 900,
    'WFWorkflowMinimumClientVersionString': '''900''',
    'WFWorkflowOutputContentItemClasses': [],
    'WFWorkflowTypes': ['''NCWidget''', '''WatchKit'''],
}
Provided_Input = is_workflow_actions_ask(WFAskActionPrompt='''How much was the bill?''', WFInputType='''Number''')
Number = is_workflow_actions_number(WFNumberActionNumber=18.5)
Calculation_Result = is_workflow_actions_math(WFInput=Provided_Input, WFMathOperand=Number, WFMathOperation='''×''')
Calculation_Result_2: '''Calculation Result''' = is_workflow_actions_math(WFInput=Calculation_Result, WFMathOperand=100, WFMathOperation='''÷''')
Rounded_Number = is_workflow_actions_round(WFInput=Calculation_Result_2, WFRoundMode='''Normal''', WFRoundTo='''Hundredths''')
if Rounded_Number > 0.0:
    is_workflow_actions_showresult(Text=f'''Tip: ${Rounded_Number} 💸 ({Number}%)''')
