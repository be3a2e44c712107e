__workflow__ = {
    'WFQuickActionSurfaces': [],
    'WFWorkflowClientVersion': '''2302.0.4''',
    'WFWorkflowHasOutputFallback': False,
    'WFWorkflowHasShortcutInputVariables': False,
    'WFWorkflowIcon': plain({'WFWorkflowIconGlyphNumber': 59732, 'WFWorkflowIconStartColor': 1440408063}),
    'WFWorkflowImportQuestions': [],
    'WFWorkflowInputContentItemClasses': ['''WFAppContentItem''', '''WFAppStoreAppContentItem''', '''WFArticleContentItem''', '''WFContactContentItem''', '''WFDateContentItem''', '''WFEmailAddressContentItem''', '''WFFolderContentItem''', '''WFGenericFileContentItem''', '''WFImageContentItem''', '''WFiTunesProductContentItem''', '''WFLocationContentItem''', '''WFDCMapsLinkContentItem''', '''WFAVAssetContentItem''', '''WFPDFContentItem''', '''WFPhoneNumberContentItem''', '''WFRichTextContentItem''', '''WFSafariWebPageContentItem''', '''WFStringContentItem''', '''WFURLContentItem'''],
    'WFWorkflowMinimumClientVersion': 900,
    'WFWorkflowMinimumClientVersionString': '''900''',
    'WFWorkflowOutputContentItemClasses': [],
    'WFWorkflowTypes': ['''NCWidget''', '''WatchKit'''],
}
Dictionary = is_workflow_actions_dictionary(WFItems={'''name''': '''Ada Lovelace''', '''age''': 36, '''subscribed''': True, '''languages''': ['''English''', '''French'''], '''city''': '''London'''})
Dictionary_Value = is_workflow_actions_getvalueforkey(WFDictionaryKey='''city''', WFInput=Dictionary)
Text = is_workflow_actions_gettext(WFTextActionText=f'''👤 {Dictionary['name']} ({Dictionary['age']}) lives in {Dictionary_Value} and speaks {Dictionary['languages'].Count}.''')
is_workflow_actions_showresult(Text=f'''{Text}''')
