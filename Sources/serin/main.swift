await SerinCommand.runAsMain()
